//! Reports: findings rendered for people (`path:line:col rule-id preview`)
//! and machines (JSON, JSONL). Secrets never appear unless asked for.
