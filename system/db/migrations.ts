// The database migrations, in order. They live in a TS module (not .sql files) so that the
// compiled dist/ the app image ships carries them; each must be idempotent (IF NOT EXISTS /
// ON CONFLICT): every service applies them at start under an advisory lock (migrate.ts).
export interface Migration {
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001_schema',
    sql: `-- EventFlow schema (docs/architecture.md "Database")
CREATE TABLE IF NOT EXISTS events (
  id               int PRIMARY KEY,
  name             text NOT NULL,
  venue            text NOT NULL,
  starts_at        timestamptz NOT NULL,
  unit_price_cents int NOT NULL CHECK (unit_price_cents >= 0),
  capacity         int NOT NULL CHECK (capacity >= 0),
  remaining        int NOT NULL CHECK (remaining >= 0)
);

CREATE TABLE IF NOT EXISTS orders (
  id               uuid PRIMARY KEY,
  idempotency_key  text UNIQUE NOT NULL,
  event_id         int NOT NULL REFERENCES events(id),
  quantity         int NOT NULL CHECK (quantity > 0),
  buyer_email      text NOT NULL,
  total_cents      int NOT NULL CHECK (total_cents >= 0),
  status           text NOT NULL CHECK (status IN ('CONFIRMED', 'REJECTED')),
  reason           text NULL,
  path             text NOT NULL CHECK (path IN ('sync', 'async')),
  node_id          text NOT NULL,
  accepted_at      timestamptz NOT NULL,
  persisted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_event_status_idx ON orders (event_id, status);

CREATE TABLE IF NOT EXISTS notifications (
  id         bigserial PRIMARY KEY,
  order_id   uuid UNIQUE NOT NULL REFERENCES orders(id),
  email      text NOT NULL,
  kind       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    name: '002_seed',
    sql: `-- Seed catalogue. Event 1 is the scenarios' event; event 4 is small for sold-out tests.
INSERT INTO events (id, name, venue, starts_at, unit_price_cents, capacity, remaining) VALUES
  (1, 'EventFlow Live',           'Main Arena',         '2030-06-01T19:00:00Z', 4500,  100000, 100000),
  (2, 'Chaos Engineering Summit', 'Convention Center',  '2030-07-15T09:00:00Z', 12000, 500,    500),
  (3, 'Resilience Night',         'Riverside Hall',     '2030-08-20T20:00:00Z', 3500,  2000,   2000),
  (4, 'Tiny Jazz Club',           'Basement Stage',     '2030-09-10T21:00:00Z', 2500,  5,      5)
ON CONFLICT (id) DO NOTHING;
`,
  },
];
