-- The app's "messages of a session, in order" query reads this index in order, with no sort.
CREATE INDEX idx_messages_session_created_at ON messages (session_id, created_at);
