-- Seed catalogue. Event 1 is the scenarios' event; event 4 is small for sold-out tests.
INSERT INTO events (id, name, venue, starts_at, unit_price_cents, capacity, remaining) VALUES
  (1, 'EventFlow Live',           'Main Arena',         '2030-06-01T19:00:00Z', 4500,  100000, 100000),
  (2, 'Chaos Engineering Summit', 'Convention Center',  '2030-07-15T09:00:00Z', 12000, 500,    500),
  (3, 'Resilience Night',         'Riverside Hall',     '2030-08-20T20:00:00Z', 3500,  2000,   2000),
  (4, 'Tiny Jazz Club',           'Basement Stage',     '2030-09-10T21:00:00Z', 2500,  5,      5)
ON CONFLICT (id) DO NOTHING;
