-- Identity: WeChat residents, login lockout, invalidating access tokens, and where an audited
-- write happened (so that admins read only the audit of their own area).

-- residents who log in from the WeChat mini-program; session_key is never stored
ALTER TABLE users ADD COLUMN wechat_openid TEXT;
ALTER TABLE users ADD COLUMN wechat_unionid TEXT;
CREATE UNIQUE INDEX users_wechat_openid ON users(wechat_openid);

-- failed logins in a row, and until when the account is locked after too many
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMP;

-- bumped when a user is disabled, changes password, role or scope: access tokens carry the
-- epoch they were issued at, and older ones stop working
ALTER TABLE users ADD COLUMN token_epoch BIGINT NOT NULL DEFAULT 0;

CREATE INDEX users_scope ON users(scope_id, id);

ALTER TABLE audit_log ADD COLUMN district_id TEXT;
ALTER TABLE audit_log ADD COLUMN street_id TEXT;
ALTER TABLE audit_log ADD COLUMN community_id TEXT;
CREATE INDEX audit_log_district ON audit_log(district_id, id);
CREATE INDEX audit_log_street ON audit_log(street_id, id);
CREATE INDEX audit_log_community ON audit_log(community_id, id);
