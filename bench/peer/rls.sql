-- Row-level security for PostGraphile (bench/peer), equivalent to two of the hub's scopes:
--   gh_peer_worker: the demo `worker` (grid_worker on its grid): the persons, households and
--                   places whose region path lies under `jwt.claims.region`, every field unmasked
--                   (the worker is granted person.id_number, phone, key_tags and place.address);
--   gh_peer_police: the demo `police` (dept.public_security on the county): the persons under
--                   `jwt.claims.region` with a key tag (`key` or `key/…`), unmasked.
-- Deleted rows are hidden from both. Tags are read only through a visible person (the
-- computed column `tags`; person_tag itself is not in the GraphQL schema). The hub connects
-- as a superuser, which row-level security does not touch. Safe to run again.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gh_peer_anonymous') THEN CREATE ROLE gh_peer_anonymous NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gh_peer_worker') THEN CREATE ROLE gh_peer_worker NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gh_peer_police') THEN CREATE ROLE gh_peer_police NOLOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA public TO gh_peer_anonymous, gh_peer_worker, gh_peer_police;
GRANT SELECT ON person, household, place, person_tag TO gh_peer_worker;
GRANT SELECT ON person, person_tag TO gh_peer_police;

-- The region's subtree as a range of the path's bytes ('/a/b/' up to '/a/b0'), which the
-- prefix indexes (varchar_pattern_ops, migration 0005) answer; LIKE with a pattern known only
-- when the statement runs (a setting) could not use them and would scan every person.
CREATE OR REPLACE FUNCTION peer_from() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT current_setting('jwt.claims.region', true) $$;
CREATE OR REPLACE FUNCTION peer_to() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT left(current_setting('jwt.claims.region', true), -1) || '0' $$;
COMMENT ON FUNCTION peer_from() IS E'@omit';
COMMENT ON FUNCTION peer_to() IS E'@omit';

-- a person's live tags in the order they were given (the hub's `tags`)
CREATE OR REPLACE FUNCTION person_tags(p person) RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT COALESCE(array_agg(t.tag ORDER BY t.id), '{}') FROM person_tag t
   WHERE t.person_id = p.id AND t.deleted_at IS NULL $$;
GRANT EXECUTE ON FUNCTION person_tags(person) TO gh_peer_worker, gh_peer_police;
COMMENT ON TABLE person_tag IS E'@omit';

ALTER TABLE person ENABLE ROW LEVEL SECURITY;
ALTER TABLE household ENABLE ROW LEVEL SECURITY;
ALTER TABLE place ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_tag ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS peer_worker ON person;
CREATE POLICY peer_worker ON person FOR SELECT TO gh_peer_worker
  USING (deleted_at IS NULL AND region_path ~>=~ peer_from() AND region_path ~<~ peer_to());
DROP POLICY IF EXISTS peer_police ON person;
CREATE POLICY peer_police ON person FOR SELECT TO gh_peer_police
  USING (deleted_at IS NULL AND region_path ~>=~ peer_from() AND region_path ~<~ peer_to()
         AND id IN (SELECT k.person_id FROM person_tag k
                    WHERE k.deleted_at IS NULL AND (k.tag = 'key' OR k.tag LIKE 'key/%')));
DROP POLICY IF EXISTS peer_worker ON household;
CREATE POLICY peer_worker ON household FOR SELECT TO gh_peer_worker
  USING (deleted_at IS NULL AND region_path ~>=~ peer_from() AND region_path ~<~ peer_to());
DROP POLICY IF EXISTS peer_worker ON place;
CREATE POLICY peer_worker ON place FOR SELECT TO gh_peer_worker
  USING (deleted_at IS NULL AND region_path ~>=~ peer_from() AND region_path ~<~ peer_to());
-- tags: only live ones, and only reachable through a person the role sees (a policy on
-- person_tag naming person would recurse through person's police policy)
DROP POLICY IF EXISTS peer_read ON person_tag;
CREATE POLICY peer_read ON person_tag FOR SELECT TO gh_peer_worker, gh_peer_police
  USING (deleted_at IS NULL);
