-- Learning: sections of topics read, quiz attempts and their answers (issue 3).
-- Sections read, one row per person, topic and section (1-based).
CREATE TABLE topic_reads (
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    section    INTEGER NOT NULL,
    read_at    TEXT NOT NULL,
    PRIMARY KEY (person_id, topic, section)
) WITHOUT ROWID;

-- A topic read to its last section; kept even if the topic later gains sections.
CREATE TABLE topic_done (
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    done_at    TEXT NOT NULL,
    PRIMARY KEY (person_id, topic)
) WITHOUT ROWID;
CREATE INDEX topic_done_topic ON topic_done (topic, person_id);

-- One quiz taken by one person. quiz = a topic id or 'mix'.
CREATE TABLE quiz_attempts (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    quiz         TEXT NOT NULL,
    questions    TEXT NOT NULL,              -- JSON [[question id, [bank option index shown 1st, 2nd, …]], …]
    position     INTEGER NOT NULL DEFAULT 0, -- index of the next question to answer
    score        INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',  -- open | done | abandoned (a newer quiz was started)
    started_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX quiz_attempts_person ON quiz_attempts (person_id, status);
CREATE INDEX quiz_attempts_done ON quiz_attempts (status, quiz, score, total);

-- Each answer, once per attempt and position (a second press is ignored).
CREATE TABLE quiz_answers (
    attempt_id   INTEGER NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    quiz         TEXT NOT NULL,
    question     TEXT NOT NULL,
    chosen       INTEGER NOT NULL,           -- bank option index (0 = the right one)
    correct      INTEGER NOT NULL,
    answered_at  TEXT NOT NULL,
    PRIMARY KEY (attempt_id, position)
) WITHOUT ROWID;
CREATE INDEX quiz_answers_question ON quiz_answers (quiz, question, correct);
CREATE INDEX quiz_answers_person ON quiz_answers (person_id);
