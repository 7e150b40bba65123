-- Indexes for staff results on big rosters (bench/results.py: 100,000 leaders, 500,000 answers).
-- Registered people per commune without reading the people rows.
CREATE INDEX people_commune_registered ON people (commune, registered_at);
-- A person's finished attempts with their scores, without reading the attempt rows.
CREATE INDEX quiz_attempts_person_score ON quiz_attempts (person_id, status, score, total);
DROP INDEX quiz_attempts_person;
-- Attempts and distinct people per quiz, and score histograms, from the index alone.
DROP INDEX quiz_attempts_done;
CREATE INDEX quiz_attempts_done ON quiz_attempts (status, quiz, score, total, person_id);
