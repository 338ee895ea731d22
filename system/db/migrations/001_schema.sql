-- EventFlow schema (docs/architecture.md "Database")
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
