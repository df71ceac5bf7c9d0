-- 007: operators' signatures of the stored bundles (docs/bundles.md,
-- "Signatures").
--
-- A bundle is stored and started only with a signature by a key that is
-- an operator of the cluster at that moment.  Each stored signature is
-- kept: a bundle signed again by another operator (after a key was
-- revoked, say) gains a row and loses none.  Bundles stored before this
-- migration have none, so they stay stored but cannot be started until
-- they are added again with a signature (`hsctl bundle add DIR --sig F`).
CREATE TABLE bundle_sigs (
	bundle   TEXT NOT NULL REFERENCES bundles(id),
	key      TEXT NOT NULL,             -- base64 ed25519 public key
	sig      TEXT NOT NULL,             -- base64 signature of the message
	added_at INTEGER NOT NULL,          -- unix ms
	PRIMARY KEY (bundle, key)
);
