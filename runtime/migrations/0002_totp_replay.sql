-- Schema version 2: remember the last TOTP time step each user logged in with, so a code
-- cannot be replayed within its validity window.
ALTER TABLE app_user ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT -1;
