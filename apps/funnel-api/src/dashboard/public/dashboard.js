// @ts-check
/**
 * The Tandem dashboard: fetches the /analytics views in parallel and renders them with
 * Chart.js (loaded as the global `Chart` by chart.umd.js, served from node_modules).
 * Plain browser JS, no build step. Every number on the page carries a data-testid and its raw
 * value in data-value, so tests compare exactly what the API returned.
 */

/** @type {Record<string, any>} */
const charts = {};

const COLORS = ['#2f6fde', '#e07b24', '#1f8a4c', '#8e44ad', '#c62828', '#00838f', '#6d4c41'];
const STAGE_COLORS = {
  rejected: '#c62828',
  lost: '#9e9e9e',
  won: '#1f8a4c',
};

// ---------- values ----------

/** Exact sum of decimal strings (money travels as strings; no float rounding). */
function sumDecimals(/** @type {string[]} */ values) {
  const parsed = values.map((value) => {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
    if (!match) throw new Error(`not a decimal: ${value}`);
    return { negative: match[1] === '-', whole: match[2] ?? '0', fraction: match[3] ?? '' };
  });
  const scale = Math.max(0, ...parsed.map((p) => p.fraction.length));
  let total = 0n;
  for (const p of parsed) {
    const units = BigInt(p.whole + p.fraction.padEnd(scale, '0'));
    total += p.negative ? -units : units;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Per-currency exact sums of rows' money columns. */
function sumMoney(/** @type {Record<string, string>[]} */ amounts) {
  /** @type {Map<string, string[]>} */
  const byCurrency = new Map();
  for (const money of amounts) {
    for (const [currency, amount] of Object.entries(money)) {
      byCurrency.set(currency, [...(byCurrency.get(currency) ?? []), amount]);
    }
  }
  return Object.fromEntries(
    [...byCurrency].sort(([a], [b]) => a.localeCompare(b)).map(([c, v]) => [c, sumDecimals(v)]),
  );
}

const sum = (/** @type {any[]} */ rows, /** @type {string} */ key) =>
  rows.reduce((total, row) => total + Number(row[key] ?? 0), 0);

const integer = new Intl.NumberFormat('en-US');
const fmtInt = (/** @type {number} */ n) => integer.format(n);
const fmtPercent = (/** @type {number | null} */ rate) =>
  rate === null || rate === undefined || Number.isNaN(rate) ? '—' : `${(rate * 100).toFixed(1)}%`;
const money2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const fmtAmount = (/** @type {string} */ amount) => money2.format(Number(amount));
const fmtMoney = (/** @type {Record<string, string>} */ money) =>
  Object.entries(money)
    .map(([currency, amount]) => `${currency} ${fmtAmount(amount)}`)
    .join(' + ') || '—';
const ratio = (/** @type {number} */ part, /** @type {number} */ whole) =>
  whole > 0 ? part / whole : null;

// ---------- DOM ----------

/**
 * @param {string} tag
 * @param {{ text?: string, className?: string, testid?: string, value?: string | number | null | boolean, title?: string }} [options]
 * @param {(Node | string)[]} [children]
 */
function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.testid) node.dataset.testid = options.testid;
  if (options.value !== undefined) node.dataset.value = String(options.value);
  if (options.title) node.title = options.title;
  for (const child of children) node.append(child);
  return node;
}

/** A table cell holding one number: formatted text, raw value, test id. */
const numCell = (
  /** @type {string} */ testid,
  /** @type {string | number | null} */ value,
  /** @type {string} */ text,
) => el('td', { className: 'num', testid, value, text });

/** A money cell: the per-currency amounts, each with its own test id `<testid>-<CUR>`. */
function moneyCell(/** @type {string} */ testid, /** @type {Record<string, string>} */ money) {
  const entries = Object.entries(money);
  if (entries.length === 0) return el('td', { className: 'num muted', text: '—', testid });
  const cell = el('td', { className: 'num', testid });
  entries.forEach(([currency, amount], index) => {
    if (index > 0) cell.append(' + ');
    cell.append(
      el('span', {
        className: 'amount',
        testid: `${testid}-${currency}`,
        value: amount,
        text: `${currency} ${fmtAmount(amount)}`,
      }),
    );
  });
  return cell;
}

/** A KPI tile; `money` renders one value per currency with its own test id. */
function kpi(
  /** @type {string} */ label,
  /** @type {string} */ testid,
  /** @type {{ count?: number, rate?: number | null, money?: Record<string, string> }} */ what,
) {
  const value = el('div', { className: 'value' });
  if (what.money !== undefined) {
    const entries = Object.entries(what.money);
    value.dataset.testid = testid;
    if (entries.length === 0) value.textContent = '—';
    entries.forEach(([currency, amount], index) => {
      if (index > 0) value.append(el('br'));
      value.append(
        el('span', {
          testid: `${testid}-${currency}`,
          value: amount,
          text: `${currency} ${fmtAmount(amount)}`,
        }),
      );
    });
  } else if (what.rate !== undefined) {
    value.dataset.testid = testid;
    value.dataset.value = String(what.rate);
    value.textContent = fmtPercent(what.rate);
  } else {
    value.dataset.testid = testid;
    value.dataset.value = String(what.count ?? 0);
    value.textContent = fmtInt(what.count ?? 0);
  }
  return el('div', { className: 'kpi' }, [el('div', { className: 'label', text: label }), value]);
}

function fill(/** @type {string} */ id, /** @type {Node[]} */ nodes) {
  const target = /** @type {HTMLElement} */ (document.getElementById(id));
  target.replaceChildren(...nodes);
}

function body(/** @type {string} */ tableId) {
  const table = /** @type {HTMLTableElement} */ (document.getElementById(tableId));
  return /** @type {HTMLTableSectionElement} */ (table.tBodies[0]);
}

/** Replaces a chart (Chart.js keeps one per canvas). */
function chart(/** @type {string} */ canvasId, /** @type {any} */ config) {
  charts[canvasId]?.destroy();
  const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById(canvasId));
  // @ts-expect-error Chart is the global of chart.umd.js
  charts[canvasId] = new window.Chart(canvas, config);
}

const baseOptions = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  plugins: { legend: { display: false } },
};

/** One bar dataset per currency over the labels. */
function revenueChart(
  /** @type {string} */ canvasId,
  /** @type {string[]} */ labels,
  /** @type {Record<string, string>[]} */ revenues,
  /** @type {string} */ color,
) {
  const currencies = [...new Set(revenues.flatMap((money) => Object.keys(money)))].sort();
  chart(canvasId, {
    type: 'bar',
    data: {
      labels,
      datasets: currencies.map((currency, index) => ({
        label: currency,
        data: revenues.map((money) => Number(money[currency] ?? 0)),
        backgroundColor: index === 0 ? color : COLORS[(index + 2) % COLORS.length],
      })),
    },
    options: {
      ...baseOptions,
      indexAxis: 'y',
      plugins: { legend: { display: currencies.length > 1 } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

/** Sums rows of one lens by a key (e.g. channel) into won revenue per key, largest first. */
function revenueBy(/** @type {any[]} */ rows, /** @type {(row: any) => string} */ keyOf) {
  /** @type {Map<string, Record<string, string>[]>} */
  const groups = new Map();
  for (const row of rows)
    groups.set(keyOf(row), [...(groups.get(keyOf(row)) ?? []), row.wonRevenue]);
  const totals = [...groups].map(([key, money]) => ({ key, money: sumMoney(money) }));
  const size = (/** @type {Record<string, string>} */ money) =>
    Object.values(money).reduce((total, amount) => total + Number(amount), 0);
  return totals.filter((t) => size(t.money) > 0).sort((a, b) => size(b.money) - size(a.money));
}

// ---------- data ----------

/** The filters from the form, as the API's capture window (to is inclusive in the form). */
function captureWindow() {
  const from = /** @type {HTMLInputElement} */ (document.getElementById('filter-from')).value;
  const to = /** @type {HTMLInputElement} */ (document.getElementById('filter-to')).value;
  const params = new URLSearchParams();
  const rules = selectedRulesVersion();
  if (rules) params.set('rulesVersion', rules);
  if (from) params.set('capturedFrom', `${from}T00:00:00Z`);
  if (to) {
    const next = new Date(`${to}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    params.set('capturedTo', next.toISOString());
  }
  return params;
}

/** The rules version chosen in the form (before it is filled: the URL's), or '' for the active one. */
function selectedRulesVersion() {
  const select = /** @type {HTMLSelectElement} */ (document.getElementById('filter-rules'));
  const chosen = definitionsShown
    ? select.value
    : (new URLSearchParams(location.search).get('rules') ?? '');
  return /^\d{1,9}$/.test(chosen) ? chosen : '';
}

// ---------- the caller's token ----------

const TOKEN_KEY = 'tandem.token';

/**
 * The bearer token the page reads with: it arrives in the URL fragment (`#token=…`, printed
 * by `npm start`, the demo or `tandem token --dashboard`), which browsers never send to a
 * server; it is moved to this tab's sessionStorage and wiped from the address bar, so it is
 * neither bookmarked nor kept after the tab closes.
 */
function bearerToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * A refused request: the HTTP status and, for an RFC 9457 problem, its `code` and `detail`,
 * so a caller can tell "no such rule set" from an outage without parsing words.
 */
class RequestError extends Error {
  constructor(
    /** @type {number} */ status,
    /** @type {string | null} */ code,
    /** @type {string} */ message,
  ) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The request headers every data request carries: the caller's bearer token. */
function authorised(/** @type {string} */ accept) {
  const token = bearerToken();
  if (!token) {
    throw new Error(
      'no access token: open the dashboard link that `npm start` prints, or make one with ' +
        '`tandem token --role analyst --actor you@example.com --dashboard`',
    );
  }
  return { accept, authorization: `Bearer ${token}` };
}

/** Throws a RequestError for a refused answer; the problem's `detail` says why. */
async function checked(/** @type {string} */ path, /** @type {Response} */ response) {
  if (response.status === 401) sessionStorage.removeItem(TOKEN_KEY);
  if (response.ok) return response;
  let detail = '';
  let code = null;
  try {
    const problem = await response.json();
    detail = problem.detail ? `: ${problem.detail}` : '';
    code = typeof problem.code === 'string' ? problem.code : null;
  } catch {
    // not JSON: the status says enough
  }
  throw new RequestError(response.status, code, `${path} answered ${response.status}${detail}`);
}

async function getJson(/** @type {string} */ path) {
  const response = await fetch(path, { headers: authorised('application/json') });
  return (await checked(path, response)).json();
}

/** Only the rules version of a query (views without a capture window). */
function rulesOnly(/** @type {URLSearchParams} */ params) {
  const only = new URLSearchParams();
  const rules = params.get('rulesVersion');
  if (rules) only.set('rulesVersion', rules);
  if (params.get('limit')) only.set('limit', String(params.get('limit')));
  return only;
}

function withQuery(/** @type {string} */ path, /** @type {URLSearchParams} */ params) {
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/**
 * One panel: loads and renders on its own, so a view that fails (a timeout, a 500, a role
 * that may not read it) shows a plain message in its own card and leaves the others drawn.
 */
async function panel(/** @type {string} */ sectionId, /** @type {() => Promise<void>} */ work) {
  const section = /** @type {HTMLElement} */ (document.getElementById(sectionId));
  section.dataset.state = 'loading';
  section.querySelector(':scope > .panel-error')?.remove();
  try {
    await work();
    section.dataset.state = 'ready';
    return true;
  } catch (error) {
    section.dataset.state = 'error';
    const message = error instanceof Error ? error.message : String(error);
    const head = section.querySelector(':scope > .card-head');
    const box = el('p', {
      className: 'panel-error',
      testid: `${sectionId}-error`,
      text: `This panel could not load: ${message}`,
    });
    if (head) head.after(box);
    else section.prepend(box);
    return false;
  }
}

/**
 * The rules version the views are read under. A version asked for (the URL's `?rules=` or the
 * form) that has no rule set built in analytics — never published, or published and not yet
 * replayed — is said once, in the rules note, and the panels read the active rules instead of
 * each failing with the same 404 or 409.
 */
async function resolveRules(
  /** @type {URLSearchParams} */ capture,
  /** @type {any} */ definitions,
) {
  const asked = capture.get('rulesVersion');
  if (!asked) return null;
  try {
    await getJson(withQuery('/analytics/funnel', new URLSearchParams({ rulesVersion: asked })));
    return null;
  } catch (error) {
    // Never published: 404 rule_set_not_found; published, not yet replayed: 409 not_ready.
    if (!(error instanceof RequestError)) return null;
    if (error.code !== 'rule_set_not_found' && error.code !== 'not_ready') return null;
    capture.delete('rulesVersion');
    const active = definitions?.active == null ? 'the built-in default' : `v${definitions.active}`;
    const select = /** @type {HTMLSelectElement} */ (document.getElementById('filter-rules'));
    if (definitions?.active != null) select.value = String(definitions.active);
    return (
      `Rules version ${asked} has no rule set in analytics (it is built when the version is ` +
      `published and its replay finishes), so every view below is computed under the ` +
      `active rules (${active}).`
    );
  }
}

async function load() {
  const began = performance.now();
  document.body.dataset.state = 'loading';
  setStatus('Loading…');
  hideError();
  try {
    authorised('application/json');
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
    setStatus('Failed to load.');
    document.body.dataset.state = 'error';
    return;
  }
  const capture = captureWindow();
  /** @type {any} */
  let definitions = null;
  try {
    definitions = await getJson('/definitions');
    renderDefinitions(definitions);
  } catch (error) {
    setRulesNote(
      `The rules versions could not be listed (${error instanceof Error ? error.message : error}).`,
    );
  }
  const unknownRules = await resolveRules(capture, definitions);
  if (unknownRules !== null) setRulesNote(unknownRules, true);
  shownParams = capture;
  const paged = new URLSearchParams(capture);
  paged.set('limit', '1000');
  const outcomes = await Promise.all([
    panel('trend-panel', () => loadTrend(capture)),
    panel('funnel-panel', async () =>
      renderFunnel(await getJson(withQuery('/analytics/funnel', capture))),
    ),
    panel('marketing-panel', async () =>
      renderMarketing(await getJson(withQuery('/analytics/marketing', capture))),
    ),
    panel('sales-panel', async () =>
      renderSales(await getJson(withQuery('/analytics/sales', capture))),
    ),
    panel('alignment-panel', async () =>
      renderAlignment((await getJson(withQuery('/analytics/alignment', paged))).items),
    ),
    panel('targets-panel', async () =>
      renderTargets((await getJson(withQuery('/analytics/targets', rulesOnly(paged)))).items),
    ),
    panel('reconciliation-panel', async () =>
      renderReconciliation(
        await getJson(withQuery('/analytics/reconciliation', rulesOnly(capture))),
      ),
    ),
  ]);
  const failed = outcomes.filter((ok) => !ok).length;
  const elapsed = Math.round(performance.now() - began);
  const sinceNavigation = Math.round(performance.now());
  const status = /** @type {HTMLElement} */ (document.getElementById('status'));
  status.replaceChildren(
    failed > 0 ? `${failed} of ${outcomes.length} panels failed · loaded in ` : 'Loaded in ',
    el('span', { testid: 'load-ms', value: sinceNavigation, text: `${sinceNavigation} ms` }),
    ' since navigation (views fetched and drawn in ',
    el('span', { testid: 'fetch-ms', value: elapsed, text: `${elapsed} ms` }),
    `) at ${new Date().toLocaleTimeString()}`,
  );
  // `ready` once every panel has settled, drawn or showing its own message.
  document.body.dataset.failedPanels = String(failed);
  document.body.dataset.state = 'ready';
}

/** The query the panels were last loaded with (rule set and capture window): CSV and drill-downs reuse it. */
let shownParams = new URLSearchParams();

// ---------- trend ----------

/** Each trend line: its row column, label, colour, and the stage its drill-down lists. */
const TREND_STAGES = [
  ['captured', 'Captured', '#90a4ae', 'captured'],
  ['mqls', 'MQL', '#2f6fde', 'mql'],
  ['handedToSales', 'To sales', '#e07b24', 'handed_to_sales'],
  ['opportunities', 'Opportunity', '#8e44ad', 'opportunity'],
  ['won', 'Won', '#1f8a4c', 'won'],
];

const GRAIN_NAMES = { week: 'week of', month: 'month of', quarter: 'fiscal quarter from' };

function trendChoice(/** @type {string} */ id) {
  return /** @type {HTMLSelectElement} */ (document.getElementById(id)).value;
}

/** The trend: the funnel per period (lines), and money per channel or campaign (stacked bars). */
async function loadTrend(/** @type {URLSearchParams} */ capture) {
  const params = new URLSearchParams(capture);
  params.set('grain', trendChoice('trend-grain'));
  params.set('limit', '1000');
  const { items } = await getJson(withQuery('/analytics/funnel/trend', params));
  const periods = [...new Set(items.map((/** @type {any} */ row) => row.period))].sort();
  /** @type {Record<string, number>} */
  const totals = {};
  const funnel = TREND_STAGES.map(([key, label, color]) => {
    const data = periods.map((period) =>
      sum(
        items.filter((/** @type {any} */ row) => row.period === period),
        /** @type {string} */ (key),
      ),
    );
    totals[/** @type {string} */ (key)] = data.reduce((a, b) => a + b, 0);
    return { label, data, borderColor: color, backgroundColor: color, tension: 0.2 };
  });
  const grain = params.get('grain') ?? 'week';
  chart('trend-funnel-chart', {
    type: 'line',
    data: { labels: periods, datasets: funnel },
    options: {
      ...baseOptions,
      plugins: { legend: { display: true, position: 'bottom', labels: { boxWidth: 10 } } },
      // Points sit in the middle of their period, as the money bars do (one period is not
      // drawn against the axis).
      scales: { x: { offset: true }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      // A point opens the leads behind it: the stage reached in that period (funnel/leads with
      // the point's grain and period, bucketed by the API exactly as the trend counts them).
      interaction: { mode: 'nearest', intersect: true },
      onHover: (/** @type {any} */ event, /** @type {any[]} */ points) => {
        event.native.target.style.cursor = points.length > 0 ? 'pointer' : 'default';
      },
      onClick: (/** @type {any} */ _event, /** @type {any[]} */ points) => {
        const point = points[0];
        if (point === undefined) return;
        const stage = TREND_STAGES[point.datasetIndex]?.[3];
        const period = periods[point.index];
        if (stage === undefined || period === undefined) return;
        void openDrill({ stage, grain, period }, 0);
      },
    },
  });
  const funnelCanvas = /** @type {HTMLElement} */ (document.getElementById('trend-funnel-chart'));
  funnelCanvas.dataset.periods = periods.join(',');
  funnelCanvas.dataset.totals = JSON.stringify(totals);

  // Money per channel (or campaign) and currency: one stacked bar series each, no FX.
  const money = trendChoice('trend-money') === 'pipeline' ? 'pipelineCreated' : 'wonRevenue';
  const by = trendChoice('trend-by');
  const keyOf = (/** @type {any} */ row) =>
    by === 'campaign' ? `${row.channel} / ${row.campaign || '—'}` : row.channel;
  /** @type {Map<string, number[]>} */
  const series = new Map();
  for (const row of items) {
    for (const [currency, amount] of Object.entries(row[money])) {
      const name = `${keyOf(row)} (${currency})`;
      const data = series.get(name) ?? periods.map(() => 0);
      data[periods.indexOf(row.period)] += Number(amount);
      series.set(name, data);
    }
  }
  chart('trend-money-chart', {
    type: 'bar',
    data: {
      labels: periods,
      datasets: [...series]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, data], index) => ({
          label,
          data,
          backgroundColor: COLORS[index % COLORS.length],
        })),
    },
    options: {
      ...baseOptions,
      plugins: { legend: { display: true, position: 'bottom', labels: { boxWidth: 10 } } },
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    },
  });
  const moneyCanvas = /** @type {HTMLElement} */ (document.getElementById('trend-money-chart'));
  moneyCanvas.dataset.series = [...series.keys()].sort((a, b) => a.localeCompare(b)).join('|');
  /** @type {HTMLElement} */ (document.getElementById('trend-empty')).hidden = items.length > 0;
}

// ---------- drill-down ----------

const TIMELINE_ROLES = ['marketing', 'sales', 'ops'];

/**
 * Whether the token's holder may read timelines, from the roles claim of a Tandem token. Only
 * decides whether to offer the link: the API refuses the timeline to anyone else regardless.
 * A token whose roles it cannot read (an identity provider's claim) gets no links.
 */
function mayReadTimelines() {
  try {
    const token = bearerToken() ?? '';
    const payload = JSON.parse(
      atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')),
    );
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    return roles.some((/** @type {string} */ role) => TIMELINE_ROLES.includes(role));
  } catch {
    return false;
  }
}

/**
 * A drill-down: the stage, the dimensions of the number clicked, and for a trend point its
 * grain and period.
 * @typedef {{ stage: string, channel?: string, campaign?: string, owner?: string, grain?: string, period?: string }} Drill
 */

/** Makes a number cell open the list of leads behind it. */
function drillable(/** @type {HTMLElement} */ cell, /** @type {Drill} */ drill) {
  if (cell.dataset.value === '0') return cell;
  cell.classList.add('drillable');
  cell.tabIndex = 0;
  cell.title = 'Show the leads behind this number';
  const open = () => void openDrill(drill, 0);
  cell.addEventListener('click', open);
  cell.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') open();
  });
  return cell;
}

const DRILL_PAGE = 25;
const STAGE_DATES = [
  ['capturedAt', 'Captured'],
  ['mqlAt', 'MQL'],
  ['handedAt', 'To sales'],
  ['acceptedAt', 'Accepted'],
  ['rejectedAt', 'Rejected'],
  ['sqlAt', 'SQL'],
  ['opportunityAt', 'Opportunity'],
  ['wonAt', 'Won'],
  ['lostAt', 'Lost'],
];

/** The drill-down's query: the panels' rule set and window, the number's stage and dimensions. */
function drillParams(/** @type {Drill} */ drill) {
  const params = new URLSearchParams(shownParams);
  params.set('stage', drill.stage);
  for (const name of /** @type {const} */ (['channel', 'campaign', 'owner', 'grain', 'period'])) {
    // '' (no campaign) cannot be asked as a filter: that list is filtered here instead.
    if (drill[name]) params.set(name, String(drill[name]));
  }
  return params;
}

async function openDrill(/** @type {Drill} */ drill, /** @type {number} */ offset) {
  const section = /** @type {HTMLElement} */ (document.getElementById('drill-panel'));
  section.hidden = false;
  const what = [
    drill.stage.replaceAll('_', ' '),
    drill.channel ? `${drill.channel} / ${drill.campaign || '—'}` : null,
    drill.owner ? `owner ${drill.owner}` : null,
    drill.grain && drill.period
      ? `${GRAIN_NAMES[/** @type {keyof typeof GRAIN_NAMES} */ (drill.grain)] ?? drill.grain} ${drill.period}`
      : null,
  ].filter(Boolean);
  /** @type {HTMLElement} */ (document.getElementById('drill-title')).textContent =
    `Leads behind: ${what.join(' · ')}`;
  section.dataset.drill = JSON.stringify(drill);
  await panel('drill-panel', async () => {
    const params = drillParams(drill);
    const unnamedCampaign = drill.channel !== undefined && drill.campaign === '';
    params.set('limit', unnamedCampaign ? '1000' : String(DRILL_PAGE));
    params.set('offset', unnamedCampaign ? '0' : String(offset));
    const page = await getJson(withQuery('/analytics/funnel/leads', params));
    const rows = unnamedCampaign
      ? page.items.filter((/** @type {any} */ row) => row.campaign === '')
      : page.items;
    const total = unnamedCampaign ? rows.length : page.total;
    const timelines = mayReadTimelines();
    body('drill-table').replaceChildren(
      ...rows.map((/** @type {any} */ row) =>
        el('tr', { testid: `drill-lead-${row.leadId}` }, [
          el('td', { className: 'label mono', text: row.leadId }),
          el('td', { className: 'label', text: `${row.channel} / ${row.campaign || '—'}` }),
          el('td', { text: row.owner || '—', className: row.owner ? '' : 'muted' }),
          ...STAGE_DATES.map(([key]) =>
            el('td', {
              text: row[/** @type {string} */ (key)]?.slice(0, 10) ?? '—',
              className: row[/** @type {string} */ (key)] ? '' : 'muted',
              title: row[/** @type {string} */ (key)] ?? '',
            }),
          ),
          el('td', {}, timelines ? [timelineLink(row.leadId)] : []),
        ]),
      ),
    );
    const count = /** @type {HTMLElement} */ (document.getElementById('drill-count'));
    count.dataset.value = String(total);
    count.textContent =
      total === 0
        ? 'No leads.'
        : `Leads ${offset + 1}–${offset + rows.length} of ${total}` +
          (timelines ? '' : ' (timelines are for the marketing, sales and ops roles)');
    const prev = /** @type {HTMLButtonElement} */ (document.getElementById('drill-prev'));
    const next = /** @type {HTMLButtonElement} */ (document.getElementById('drill-next'));
    prev.disabled = offset === 0;
    next.disabled = offset + rows.length >= total;
    prev.onclick = () => void openDrill(drill, Math.max(0, offset - DRILL_PAGE));
    next.onclick = () => void openDrill(drill, offset + DRILL_PAGE);
  });
  section.scrollIntoView({ block: 'nearest' });
}

/** A button that shows the lead's timeline (fetched with the token: a plain link carries none). */
function timelineLink(/** @type {string} */ leadId) {
  const button = el('button', {
    className: 'secondary small',
    text: 'timeline',
    testid: `timeline-${leadId}`,
  });
  button.addEventListener('click', async () => {
    const out = /** @type {HTMLElement} */ (document.getElementById('drill-timeline'));
    out.hidden = false;
    try {
      out.textContent = JSON.stringify(
        await getJson(`/leads/${encodeURIComponent(leadId)}/timeline`),
        null,
        2,
      );
    } catch (error) {
      out.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  return button;
}

// ---------- CSV ----------

/**
 * Downloads a panel's view as CSV: the API writes it (`Accept: text/csv`) under the panels'
 * rule set and window; fetched with the token (a plain link could not carry it) and saved
 * under the file name the API gives.
 */
async function downloadCsv(/** @type {HTMLElement} */ button) {
  const view = button.dataset.csv ?? '';
  const params =
    button.dataset.scope === 'rules' ? rulesOnly(shownParams) : new URLSearchParams(shownParams);
  if (view === '/analytics/funnel/trend') params.set('grain', trendChoice('trend-grain'));
  if (view === '/analytics/funnel/leads') {
    const section = /** @type {HTMLElement} */ (document.getElementById('drill-panel'));
    for (const [name, value] of drillParams(JSON.parse(section.dataset.drill ?? '{}'))) {
      params.set(name, value);
    }
  }
  if (view !== '/analytics/reconciliation') params.set('limit', '1000');
  params.delete('offset');
  const path = withQuery(view, params);
  try {
    const response = await checked(path, await fetch(path, { headers: authorised('text/csv') }));
    const name =
      /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ??
      'tandem.csv';
    const link = el('a');
    link.setAttribute('href', URL.createObjectURL(await response.blob()));
    link.setAttribute('download', name);
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.getAttribute('href') ?? ''), 10_000);
  } catch (error) {
    const section = button.closest('section');
    section?.querySelector(':scope > .panel-error')?.remove();
    section?.querySelector(':scope > .card-head')?.after(
      el('p', {
        className: 'panel-error',
        text: `The CSV could not be downloaded: ${error instanceof Error ? error.message : error}`,
      }),
    );
  }
}

function setStatus(/** @type {string} */ text) {
  /** @type {HTMLElement} */ (document.getElementById('status')).textContent = text;
}

function setRulesNote(/** @type {string} */ text, warning = false) {
  const note = /** @type {HTMLElement} */ (document.getElementById('rules-note'));
  note.textContent = text;
  note.classList.toggle('warning', warning);
}

function showError(/** @type {string} */ message) {
  const box = /** @type {HTMLElement} */ (document.getElementById('error'));
  box.textContent = `Could not load the dashboard: ${message}`;
  box.hidden = false;
}

function hideError() {
  /** @type {HTMLElement} */ (document.getElementById('error')).hidden = true;
}

// ---------- sections ----------

let definitionsShown = false;

function renderDefinitions(
  /** @type {{ active: number | null, versions: { version: number, name: string, publishedAt: string }[] }} */ definitions,
) {
  const select = /** @type {HTMLSelectElement} */ (document.getElementById('filter-rules'));
  if (!definitionsShown) {
    const wanted = new URLSearchParams(location.search).get('rules');
    const options =
      definitions.versions.length > 0
        ? [...definitions.versions].reverse().map((v) =>
            el('option', {
              text: `v${v.version} — ${v.name}${v.version === definitions.active ? ' (active)' : ''}`,
            }),
          )
        : [el('option', { text: 'built-in default (active)' })];
    definitions.versions
      .slice()
      .reverse()
      .forEach((v, index) => {
        /** @type {HTMLOptionElement} */ (options[index]).value = String(v.version);
      });
    select.replaceChildren(...options);
    select.value = wanted ?? String(definitions.active ?? '');
    if (select.selectedIndex < 0) select.selectedIndex = 0;
    definitionsShown = true;
  }
  const active = definitions.active === null ? 'the built-in default' : `v${definitions.active}`;
  const chosen =
    select.value && select.value !== String(definitions.active ?? '') ? select.value : null;
  setRulesNote(
    chosen
      ? `Views computed under rules v${chosen} (active: ${active}).`
      : `Views computed under the active rules (${active}).`,
  );
}

/** Sales-sourced leads (ADR 0008): a path of their own beside marketing's, never an MQL. */
const SALES_SOURCED_COLOR = '#8e6bd1';

function renderFunnel(/** @type {any[]} */ rows) {
  // One row per stage of the marketing path; the sales-sourced path beside it, with no MQL
  // stage. Test ids: funnel-<stage> (marketing, as before) and funnel-sales_sourced-<stage>.
  const stages = rows.filter((row) => row.path === 'marketing');
  const direct = new Map(
    rows.filter((row) => row.path === 'sales_sourced').map((row) => [row.stage, row]),
  );
  body('funnel-table').replaceChildren(
    ...stages.map((row) => {
      const other = direct.get(row.stage);
      return el('tr', {}, [
        el('td', { text: row.stage.replaceAll('_', ' ') }),
        drillable(numCell(`funnel-${row.stage}`, row.leads, fmtInt(row.leads)), {
          stage: row.stage,
        }),
        numCell(`funnel-conversion-${row.stage}`, row.conversion, fmtPercent(row.conversion)),
        other === undefined
          ? el('td', { className: 'num muted', text: '—' })
          : numCell(`funnel-sales_sourced-${row.stage}`, other.leads, fmtInt(other.leads)),
        other === undefined
          ? el('td', { className: 'num muted', text: '—' })
          : numCell(
              `funnel-conversion-sales_sourced-${row.stage}`,
              other.conversion,
              fmtPercent(other.conversion),
            ),
      ]);
    }),
  );
  chart('funnel-chart', {
    type: 'bar',
    data: {
      labels: stages.map((row) => row.stage.replaceAll('_', ' ')),
      datasets: [
        {
          label: 'Marketing path',
          data: stages.map((row) => row.leads),
          backgroundColor: stages.map(
            (row) =>
              STAGE_COLORS[/** @type {keyof typeof STAGE_COLORS} */ (row.stage)] ?? '#2f6fde',
          ),
        },
        {
          label: 'Sales-sourced',
          data: stages.map((row) => direct.get(row.stage)?.leads ?? null),
          backgroundColor: SALES_SOURCED_COLOR,
        },
      ],
    },
    options: { ...baseOptions, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function renderMarketing(/** @type {any[]} */ rows) {
  const won = sum(rows, 'won');
  const leads = sum(rows, 'leads');
  const mqls = sum(rows, 'mqls');
  fill('marketing-kpis', [
    kpi('Leads', 'total-leads-marketing', { count: leads }),
    kpi('MQLs', 'total-mqls-marketing', { count: mqls }),
    kpi('MQL rate', 'total-mql-rate-marketing', { rate: ratio(mqls, leads) }),
    kpi('Handed to sales', 'total-handed-marketing', { count: sum(rows, 'handedToSales') }),
    kpi('Won', 'total-won-marketing', { count: won }),
    kpi('Won revenue', 'total-won-revenue-marketing', {
      money: sumMoney(rows.map((row) => row.wonRevenue)),
    }),
  ]);
  const byChannel = revenueBy(rows, (row) => row.channel);
  revenueChart(
    'marketing-chart',
    byChannel.map((t) => t.key),
    byChannel.map((t) => t.money),
    '#2f6fde',
  );
  body('marketing-table').replaceChildren(
    ...rows.map((row) => {
      const key = `marketing:${row.channel}:${row.campaign}`;
      return el('tr', {}, [
        el('td', { className: 'label', text: `${row.channel} / ${row.campaign || '—'}` }),
        drillable(numCell(`${key}:leads`, row.leads, fmtInt(row.leads)), {
          stage: 'captured',
          channel: row.channel,
          campaign: row.campaign,
        }),
        numCell(`${key}:mqls`, row.mqls, fmtInt(row.mqls)),
        numCell(`${key}:handed`, row.handedToSales, fmtInt(row.handedToSales)),
        numCell(`${key}:rejected`, row.rejected, fmtInt(row.rejected)),
        numCell(`${key}:won`, row.won, fmtInt(row.won)),
        numCell(`${key}:lost`, row.lost, fmtInt(row.lost)),
        moneyCell(`${key}:won-revenue`, row.wonRevenue),
      ]);
    }),
  );
}

function renderSales(/** @type {any[]} */ rows) {
  const won = sum(rows, 'won');
  const lost = sum(rows, 'lost');
  const received = sum(rows, 'handedToSales');
  const accepted = sum(rows, 'accepted');
  fill('sales-kpis', [
    kpi('MQLs received', 'total-handed-sales', { count: received }),
    kpi('Accepted', 'total-accepted-sales', { count: accepted }),
    kpi('Rejected', 'total-rejected-sales', { count: sum(rows, 'rejected') }),
    kpi('Won', 'total-won-sales', { count: won }),
    kpi('Win rate', 'total-win-rate-sales', { rate: ratio(won, won + lost) }),
    kpi('Won revenue', 'total-won-revenue-sales', {
      money: sumMoney(rows.map((row) => row.wonRevenue)),
    }),
  ]);
  const byOwner = revenueBy(rows, (row) => row.owner);
  revenueChart(
    'sales-chart',
    byOwner.map((t) => t.key),
    byOwner.map((t) => t.money),
    '#e07b24',
  );
  body('sales-table').replaceChildren(
    ...rows.map((row) => {
      const key = `sales:${row.owner}`;
      return el('tr', {}, [
        el('td', { className: 'label', text: row.owner }),
        drillable(numCell(`${key}:handed`, row.handedToSales, fmtInt(row.handedToSales)), {
          stage: 'handed_to_sales',
          owner: row.owner,
        }),
        numCell(`${key}:accepted`, row.accepted, fmtInt(row.accepted)),
        numCell(`${key}:rejected`, row.rejected, fmtInt(row.rejected)),
        numCell(`${key}:won`, row.won, fmtInt(row.won)),
        numCell(`${key}:lost`, row.lost, fmtInt(row.lost)),
        moneyCell(`${key}:won-revenue`, row.wonRevenue),
        numCell(`${key}:win-rate`, row.winRate, fmtPercent(row.winRate)),
      ]);
    }),
  );
}

function renderAlignment(/** @type {any[]} */ rows) {
  const handed = sum(rows, 'handedToSales');
  const inSla = sum(rows, 'acceptedInSla') + sum(rows, 'rejectedInSla');
  const openInSla = sum(rows, 'openInSla');
  const leaked = sum(rows, 'leaked');
  fill('alignment-kpis', [
    kpi('SLA compliance', 'alignment-sla-compliance', { rate: ratio(inSla, handed - openInSla) }),
    kpi('Leaked MQLs', 'alignment-leaked', { count: leaked }),
    kpi('Open past due', 'alignment-open-past-due', { count: sum(rows, 'openPastDue') }),
    kpi('Recycle rate', 'alignment-recycle-rate', {
      rate: ratio(sum(rows, 'recycled'), handed),
    }),
  ]);
  const outcomes = [
    ['Accepted in SLA', sum(rows, 'acceptedInSla'), '#1f8a4c'],
    ['Rejected in SLA', sum(rows, 'rejectedInSla'), '#7cb342'],
    ['Responded late', sum(rows, 'respondedLate'), '#e07b24'],
    ['Open past due', sum(rows, 'openPastDue'), '#c62828'],
    ['Open in SLA', openInSla, '#90a4ae'],
  ];
  chart('alignment-chart', {
    type: 'doughnut',
    data: {
      labels: outcomes.map((o) => o[0]),
      datasets: [{ data: outcomes.map((o) => o[1]), backgroundColor: outcomes.map((o) => o[2]) }],
    },
    options: {
      ...baseOptions,
      plugins: { legend: { display: true, position: 'bottom', labels: { boxWidth: 10 } } },
    },
  });
  body('alignment-table').replaceChildren(
    ...rows.map((row) => {
      const key = `alignment:${row.channel}:${row.campaign}`;
      const reasons = Object.entries(row.rejectionReasons)
        .map(([reason, count]) => `${reason.replaceAll('_', ' ')} ${count}`)
        .join(', ');
      return el('tr', {}, [
        el('td', { className: 'label', text: `${row.channel} / ${row.campaign || '—'}` }),
        numCell(`${key}:handed`, row.handedToSales, fmtInt(row.handedToSales)),
        numCell(`${key}:sla`, row.slaCompliance, fmtPercent(row.slaCompliance)),
        numCell(`${key}:leaked`, row.leaked, fmtInt(row.leaked)),
        el('td', { className: 'wrap muted', text: reasons || '—' }),
      ]);
    }),
  );
}

function renderTargets(/** @type {any[]} */ rows) {
  /** @type {HTMLElement} */ (document.getElementById('targets-empty')).hidden = rows.length > 0;
  body('targets-table').replaceChildren(
    ...rows.map((row) => {
      const key = `target:${row.team}:${row.metric}:${row.period}:${row.owner}`;
      const bar = /** @type {HTMLProgressElement} */ (el('progress'));
      bar.max = 1;
      bar.value = Math.min(1, row.progress ?? 0);
      return el('tr', {}, [
        el('td', { text: row.team }),
        el('td', { text: row.metric.replaceAll('_', ' ') }),
        el('td', { text: row.period }),
        el('td', { text: row.owner || 'team', className: row.owner ? '' : 'muted' }),
        numCell(`${key}:target`, row.target, fmtAmount(row.target)),
        row.actualCount === null
          ? moneyCell(`${key}:actual`, row.actualAmount)
          : numCell(`${key}:actual`, row.actualCount, fmtInt(row.actualCount)),
        el('td', {}, [
          bar,
          ' ',
          el('span', {
            testid: `${key}:progress`,
            value: row.progress,
            text: fmtPercent(row.progress),
          }),
        ]),
      ]);
    }),
  );
}

function renderReconciliation(
  /** @type {{ ok: boolean, checks: { metric: string, marketing: string, sales: string, events: string, ok: boolean }[] }} */ reconciliation,
) {
  const verdict = /** @type {HTMLElement} */ (document.getElementById('reconciliation-verdict'));
  verdict.dataset.value = String(reconciliation.ok);
  verdict.className = `verdict ${reconciliation.ok ? 'ok' : 'bad'}`;
  verdict.textContent = reconciliation.ok
    ? 'RECONCILED — the marketing and sales lenses agree with the events on every shared total.'
    : 'NOT RECONCILED — the lenses disagree; see the rows marked NO.';
  body('reconciliation-table').replaceChildren(
    ...reconciliation.checks.map((check) => {
      const key = `reconciliation:${check.metric}`;
      const shown = (/** @type {string} */ value) =>
        check.metric.startsWith('won_revenue') ? fmtAmount(value) : fmtInt(Number(value));
      return el('tr', {}, [
        el('td', { text: check.metric.replaceAll('_', ' ') }),
        numCell(`${key}:marketing`, check.marketing, shown(check.marketing)),
        numCell(`${key}:sales`, check.sales, shown(check.sales)),
        numCell(`${key}:events`, check.events, shown(check.events)),
        el('td', {
          className: check.ok ? 'agree-ok' : 'agree-bad',
          testid: `${key}:ok`,
          value: check.ok,
          text: check.ok ? 'yes' : 'NO',
        }),
      ]);
    }),
  );
}

// ---------- filters ----------

function readFiltersFromUrl() {
  const params = new URLSearchParams(location.search);
  const date = /^\d{4}-\d{2}-\d{2}$/;
  const from = params.get('from');
  const to = params.get('to');
  if (from && date.test(from)) {
    /** @type {HTMLInputElement} */ (document.getElementById('filter-from')).value = from;
  }
  if (to && date.test(to)) {
    /** @type {HTMLInputElement} */ (document.getElementById('filter-to')).value = to;
  }
}

function writeFiltersToUrl() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById('filters'));
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value !== '') params.set(name, value);
  }
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}

function start() {
  readFiltersFromUrl();
  for (const id of ['trend-grain', 'trend-money', 'trend-by']) {
    /** @type {HTMLElement} */ (document.getElementById(id)).addEventListener(
      'change',
      () => void panel('trend-panel', () => loadTrend(shownParams)),
    );
  }
  for (const button of document.querySelectorAll('[data-csv]')) {
    button.addEventListener('click', () => void downloadCsv(/** @type {HTMLElement} */ (button)));
  }
  /** @type {HTMLElement} */ (document.getElementById('drill-close')).addEventListener(
    'click',
    () => {
      /** @type {HTMLElement} */ (document.getElementById('drill-panel')).hidden = true;
      /** @type {HTMLElement} */ (document.getElementById('drill-timeline')).hidden = true;
    },
  );
  const form = /** @type {HTMLFormElement} */ (document.getElementById('filters'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    writeFiltersToUrl();
    void load();
  });
  /** @type {HTMLElement} */ (document.getElementById('filter-clear')).addEventListener(
    'click',
    () => {
      /** @type {HTMLInputElement} */ (document.getElementById('filter-from')).value = '';
      /** @type {HTMLInputElement} */ (document.getElementById('filter-to')).value = '';
      writeFiltersToUrl();
      void load();
    },
  );
  void load();
}

start();
