// EventFlow web GUI: plain ES module, no build step, no third-party code.
// Talks to the API through the gateway that serves this page (same origin).
//   GET /events · POST /purchase (Idempotency-Key) · GET /orders/:id · GET /health · GET /analytics/summary
// The live panel (live.js) reads Prometheus through the same gateway (/prometheus/).
import { startLivePanel } from './live.js';

const REQUEST_TIMEOUT_MS = 5000;
const HEALTH_EVERY_MS = 2000;
const EVENTS_EVERY_MS = 5000;
const ANALYTICS_EVERY_MS = 10000;
const ORDER_POLL_MS = 1000;
const ORDER_POLL_MAX_MS = 15 * 60 * 1000; // then the user can ask again
const PURCHASE_ATTEMPTS = 4; // same Idempotency-Key every time: a retry never buys twice
const STORAGE_KEY = 'eventflow.orders.v1';

const $ = (id) => document.getElementById(id);

const state = {
  events: [],
  eventsSource: undefined,
  eventsStale: false,
  eventsError: undefined,
  health: undefined,
  healthError: undefined,
  /** @type {Map<string, Order>} orderId -> order */
  orders: new Map(),
};

/**
 * @typedef {{orderId: string, eventId: number, eventName: string, quantity: number, totalCents: number,
 *   status: 'PENDING'|'CONFIRMED'|'REJECTED', accepted: 'CONFIRMED'|'ACCEPTED_ASYNC', reason?: string,
 *   idempotencyKey: string, createdAt: number, node?: string, polling?: boolean, gaveUp?: boolean}} Order
 */

// ---------------------------------------------------------------- HTTP

async function request(method, path, { body, headers = {} } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
      signal: ctrl.signal,
      cache: 'no-store',
    });
    let json;
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
    const node = res.headers.get('x-eventflow-node') ?? undefined;
    if (node) $('answered-by').textContent = `answered by ${node}`;
    return { status: res.status, json, node, retryAfter: Number(res.headers.get('retry-after')) || undefined };
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newIdempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // works without a secure context, unlike randomUUID()
  return `gui-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const money = (cents) => (typeof cents === 'number' ? `${(cents / 100).toFixed(2)} €` : '');

// ---------------------------------------------------------------- events

async function loadEvents() {
  try {
    const r = await request('GET', '/events');
    if (r.status === 200 && r.json && Array.isArray(r.json.events)) {
      state.events = r.json.events;
      state.eventsSource = r.json.source;
      state.eventsStale = r.json.stale === true;
      state.eventsError = undefined;
    } else {
      state.eventsError = r.json?.message ?? `HTTP ${r.status}`;
    }
  } catch (e) {
    state.eventsError = e?.name === 'AbortError' ? 'timed out' : String(e?.message ?? e);
  }
  renderEvents();
  renderBanner();
}

function renderEvents() {
  const body = $('events-body');
  const src = $('events-source');
  if (state.eventsError && state.events.length === 0) {
    body.replaceChildren(row([cell(`Cannot load events: ${state.eventsError}`, 'muted', 4)]));
  }
  src.textContent = state.eventsError
    ? `refresh failed: ${state.eventsError}`
    : state.eventsSource
      ? `from ${state.eventsSource === 'cache' ? 'the cache' : 'the database'}${state.eventsStale ? ' (stale)' : ''}`
      : '';
  if (state.events.length === 0) return;
  // Keep the inputs the user is typing in: update rows in place.
  const existing = new Map([...body.querySelectorAll('tr[data-event-id]')].map((tr) => [tr.dataset.eventId, tr]));
  if (existing.size === 0) body.replaceChildren();
  for (const ev of state.events) {
    let tr = existing.get(String(ev.id));
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.eventId = String(ev.id);
      tr.setAttribute('data-testid', 'event-row');
      const qty = document.createElement('input');
      qty.type = 'number';
      qty.min = '1';
      qty.max = '10';
      qty.value = '1';
      qty.setAttribute('aria-label', `tickets for ${ev.name}`);
      qty.setAttribute('data-testid', 'qty-input');
      const buy = document.createElement('button');
      buy.type = 'button';
      buy.textContent = 'Buy';
      buy.setAttribute('data-testid', 'buy-button');
      buy.addEventListener('click', () => buyTickets(ev.id, qty, buy));
      const name = document.createElement('span');
      name.className = 'event-name';
      const where = document.createElement('span');
      where.className = 'event-where';
      const buyCell = cellOf(qty, buy);
      buyCell.className = 'buy';
      tr.append(cellOf(name, where), cell('', 'price'), cell('', 'left'), buyCell);
      body.append(tr);
    }
    const c = tr.children;
    c[0].children[0].textContent = ev.name;
    c[0].children[1].textContent = [ev.venue, ev.startsAt ? new Date(ev.startsAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : ''].filter(Boolean).join(' · ');
    c[1].textContent = money(ev.unitPriceCents);
    c[2].textContent = `${ev.remaining ?? ''}`;
    c[2].setAttribute('data-testid', 'remaining');
    c[2].dataset.label = 'left';
  }
}

function cell(text, cls, colspan) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (colspan) td.colSpan = colspan;
  return td;
}
function cellOf(...nodes) {
  const td = document.createElement('td');
  td.append(...nodes);
  return td;
}
function row(cells) {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

// ---------------------------------------------------------------- purchase

function message(text, isError = false) {
  const m = $('purchase-message');
  m.textContent = text;
  m.className = `message${isError ? ' error' : ''}`;
}

async function buyTickets(eventId, qtyInput, button) {
  const quantity = Number(qtyInput.value);
  const email = $('email').value.trim();
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10) return message('Choose 1 to 10 tickets.', true);
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return message('Enter a valid e-mail address.', true);
  const ev = state.events.find((e) => e.id === eventId);
  const key = newIdempotencyKey();
  button.disabled = true;
  message('Buying…');
  try {
    let last;
    for (let attempt = 1; attempt <= PURCHASE_ATTEMPTS; attempt++) {
      try {
        last = await request('POST', '/purchase', { body: { eventId, quantity, email }, headers: { 'Idempotency-Key': key } });
      } catch (e) {
        last = { status: 0, json: { message: e?.name === 'AbortError' ? 'timed out' : String(e?.message ?? e) } };
      }
      // Retry only what may succeed later; the key makes a retry safe even if the first attempt went through.
      if (last.status !== 0 && last.status !== 502 && last.status !== 503 && last.status !== 504) break;
      if (attempt < PURCHASE_ATTEMPTS) await sleep(Math.min(4000, (last.retryAfter ?? 0.5) * 1000 * attempt));
    }
    const r = last;
    if (r.status === 201 || r.status === 202) {
      const order = {
        orderId: r.json.orderId,
        eventId,
        eventName: ev?.name ?? `event ${eventId}`,
        quantity: r.json.quantity ?? quantity,
        totalCents: r.json.totalCents,
        status: r.status === 201 ? 'CONFIRMED' : 'PENDING',
        accepted: r.json.status,
        idempotencyKey: key,
        createdAt: Date.now(),
        node: r.node,
      };
      state.orders.set(order.orderId, order);
      saveOrders();
      message(
        r.status === 201
          ? `Order confirmed: ${quantity} ticket(s) for ${order.eventName}.`
          : `Order accepted while the database is unavailable: it is PENDING and will be confirmed automatically.`,
      );
      renderOrders();
      renderBanner();
      if (order.status === 'PENDING') followOrder(order);
      loadEvents();
    } else if (r.status === 409) {
      message(`Sold out: ${r.json?.message ?? 'not enough tickets left'}.`, true);
    } else if (r.status === 503) {
      message(`The system cannot take purchases right now (${r.json?.message ?? 'unavailable'}). Nothing was charged; try again shortly.`, true);
    } else if (r.status === 0) {
      message(`No answer from the server (${r.json?.message}). Your order was not confirmed; trying again is safe.`, true);
    } else {
      message(`Could not buy: ${r.json?.message ?? r.json?.error ?? `HTTP ${r.status}`}.`, true);
    }
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- orders

async function followOrder(order) {
  if (order.polling) return;
  order.polling = true;
  order.gaveUp = false;
  renderOrders();
  const deadline = Date.now() + ORDER_POLL_MAX_MS;
  try {
    while (Date.now() < deadline && order.status === 'PENDING' && state.orders.has(order.orderId)) {
      await sleep(ORDER_POLL_MS);
      try {
        const r = await request('GET', `/orders/${encodeURIComponent(order.orderId)}`);
        if (r.status === 200 && r.json?.status && r.json.status !== order.status) {
          order.status = r.json.status;
          if (r.json.reason) order.reason = r.json.reason;
          saveOrders();
          renderOrders();
          renderBanner();
          if (order.status !== 'PENDING') loadEvents();
        }
      } catch {
        // network hiccup: keep following
      }
    }
  } finally {
    order.polling = false;
    if (order.status === 'PENDING') order.gaveUp = true;
    renderOrders();
  }
}

function renderOrders() {
  const list = $('orders');
  const orders = [...state.orders.values()].sort((a, b) => b.createdAt - a.createdAt);
  $('no-orders').hidden = orders.length > 0;
  list.replaceChildren(
    ...orders.map((o) => {
      const li = document.createElement('li');
      li.setAttribute('data-testid', 'order');
      li.dataset.orderId = o.orderId;
      const title = document.createElement('div');
      title.textContent = `${o.quantity} × ${o.eventName} · ${money(o.totalCents)}`;
      const status = document.createElement('span');
      status.className = `pill ${o.status}`;
      status.setAttribute('data-testid', 'order-status');
      status.textContent = o.status;
      const detail = document.createElement('div');
      detail.className = 'detail';
      const id = document.createElement('code');
      id.textContent = o.orderId;
      const parts = [
        o.accepted === 'ACCEPTED_ASYNC' ? ' · accepted asynchronously (database was down)' : ' · confirmed at once',
        o.node ? ` · by ${o.node}` : '',
        o.reason ? ` · ${o.reason}` : '',
        o.status === 'PENDING' ? (o.polling ? ' · waiting for confirmation…' : '') : '',
      ];
      detail.append(id, document.createTextNode(parts.join('')));
      const tail = document.createElement('div');
      if (o.status === 'PENDING' && o.gaveUp) {
        const again = document.createElement('button');
        again.type = 'button';
        again.className = 'link';
        again.textContent = 'check again';
        again.addEventListener('click', () => followOrder(o));
        tail.append(again);
      }
      li.append(title, status, detail, tail);
      return li;
    }),
  );
}

function saveOrders() {
  try {
    const plain = [...state.orders.values()].map(({ polling: _p, gaveUp: _g, ...o }) => o);
    localStorage.setItem(STORAGE_KEY, JSON.stringify(plain.slice(0, 50)));
  } catch {
    // storage disabled: orders live for this page only
  }
}

function restoreOrders() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    for (const o of Array.isArray(saved) ? saved : []) if (o && typeof o.orderId === 'string') state.orders.set(o.orderId, o);
  } catch {
    // ignore a corrupt entry
  }
  renderOrders();
  for (const o of state.orders.values()) if (o.status === 'PENDING') followOrder(o);
}

// ---------------------------------------------------------------- health

async function loadHealth() {
  try {
    const r = await request('GET', '/health');
    if (r.status === 200 && r.json && Array.isArray(r.json.nodes)) {
      state.health = r.json;
      state.healthError = undefined;
    } else {
      state.healthError = r.json?.message ?? `HTTP ${r.status}`;
    }
  } catch (e) {
    state.healthError = e?.name === 'AbortError' ? 'timed out' : String(e?.message ?? e);
  }
  renderHealth();
  renderBanner();
}

function pill(text, cls, testid) {
  const s = document.createElement('span');
  s.className = `pill ${cls}`;
  s.textContent = text;
  if (testid) s.setAttribute('data-testid', testid);
  return s;
}

function depCell(dep, name) {
  const td = document.createElement('td');
  td.className = 'dep';
  if (!dep) {
    td.append(pill('?', 'unknown'));
    return td;
  }
  td.append(pill(dep.up ? 'up' : 'down', dep.up ? 'up' : 'down', `dep-${name}`));
  if (typeof dep.latencyMs === 'number') {
    const lat = document.createElement('span');
    lat.className = 'lat';
    lat.textContent = `${Math.round(dep.latencyMs)} ms`;
    td.append(lat);
  }
  return td;
}

function renderHealth() {
  const status = $('cluster-status');
  const h = state.health;
  const s = state.healthError ? 'unreachable' : h?.status ?? 'unknown';
  status.textContent = s;
  status.className = `pill ${s}`;
  $('health-updated').textContent = state.healthError
    ? `last refresh failed: ${state.healthError}`
    : h
      ? `as seen by ${h.node} at ${new Date().toLocaleTimeString()}`
      : '';
  if (!h) return;
  const nodes = [...h.nodes].sort((a, b) => String(a.node).localeCompare(String(b.node)));
  $('health-body').replaceChildren(
    ...nodes.map((n) => {
      const tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'health-node');
      tr.dataset.node = n.node;
      const deps = n.dependencies ?? {};
      tr.append(
        cell(n.node),
        cellOf(pill(n.up ? 'up' : 'down', n.up ? 'up' : 'down', 'node-up')),
        cellOf(n.up ? pill(n.status ?? '?', n.status ?? 'unknown', 'node-status') : pill('no answer', 'down', 'node-status')),
        n.up ? depCell(deps.postgres, 'postgres') : cell('—', 'muted'),
        n.up ? depCell(deps.redis, 'redis') : cell('—', 'muted'),
        n.up ? depCell(deps.rabbitmq, 'rabbitmq') : cell('—', 'muted'),
        n.up && n.breaker ? cellOf(pill(n.breaker, n.breaker, 'breaker')) : cell('—', 'muted'),
      );
      return tr;
    }),
  );
}

// ---------------------------------------------------------------- degraded banner

function degradedReasons() {
  const reasons = [];
  const h = state.health;
  if (state.healthError) reasons.push(`Cannot reach the cluster health endpoint (${state.healthError}).`);
  if (h && h.status === 'degraded') {
    const down = new Map();
    const deadNodes = [];
    for (const n of h.nodes) {
      if (!n.up) {
        deadNodes.push(n.node);
        continue;
      }
      for (const [dep, v] of Object.entries(n.dependencies ?? {})) if (v && v.up === false) down.set(dep, [...(down.get(dep) ?? []), n.node]);
    }
    const names = { postgres: 'PostgreSQL', redis: 'Redis', rabbitmq: 'RabbitMQ' };
    for (const [dep, nodes] of down) reasons.push(`${names[dep] ?? dep} is unreachable (seen by ${nodes.join(', ')}).`);
    if (deadNodes.length) reasons.push(`Node(s) not answering: ${deadNodes.join(', ')} — traffic goes to the others.`);
    if (down.size === 0 && deadNodes.length === 0) reasons.push('The cluster reports itself degraded.');
  }
  const pending = [...state.orders.values()].filter((o) => o.status === 'PENDING').length;
  if (pending > 0) reasons.push(`${pending} purchase(s) accepted asynchronously are PENDING until the database is back.`);
  if (state.eventsStale) reasons.push('The event list comes from the cache and may be stale.');
  return reasons;
}

function renderBanner() {
  const reasons = degradedReasons();
  const banner = $('degraded-banner');
  banner.hidden = reasons.length === 0;
  $('degraded-reasons').replaceChildren(
    ...reasons.map((r) => {
      const li = document.createElement('li');
      li.textContent = r;
      return li;
    }),
  );
}

// ---------------------------------------------------------------- analytics (optional)

async function loadAnalytics() {
  try {
    const r = await request('GET', '/analytics/summary');
    if (r.status !== 200 || !r.json || typeof r.json !== 'object') return;
    const dl = $('analytics');
    const entries = Object.entries(r.json).filter(([k, v]) => k !== 'stale' && (typeof v === 'number' || typeof v === 'string'));
    if (entries.length === 0) return;
    dl.replaceChildren(
      ...entries.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        const isMoney = /cents$/i.test(k) && typeof v === 'number';
        dt.textContent = (isMoney ? k.replace(/Cents$/i, '') : k).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
        const dd = document.createElement('dd');
        dd.textContent = isMoney ? money(v) : /At$/.test(k) && !Number.isNaN(Date.parse(String(v))) ? new Date(String(v)).toLocaleString() : String(v);
        return [dt, dd];
      }),
    );
    $('analytics-stale').textContent = r.json.stale ? 'snapshot (database unavailable)' : '';
    $('analytics-card').hidden = false;
  } catch {
    // analytics is optional
  }
}

// ---------------------------------------------------------------- start

function every(ms, fn) {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await fn();
    } finally {
      running = false;
    }
  };
  tick();
  return setInterval(tick, ms);
}

function start() {
  $('clear-orders').addEventListener('click', () => {
    state.orders.clear();
    saveOrders();
    renderOrders();
    renderBanner();
  });
  restoreOrders();
  every(EVENTS_EVERY_MS, loadEvents);
  every(HEALTH_EVERY_MS, loadHealth);
  every(ANALYTICS_EVERY_MS, loadAnalytics);
  startLivePanel();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
