"""The content folder: what the bot says (texts, units, topics, quizzes). Data only; staff edit it."""
