// Gridhub policy console. Plain JavaScript, no build step: every read and every edit is a
// GraphQL request to /graphql with the signed-in admin's token, so what the console shows
// and may change is exactly what the API's policy allows. Refusals (FORBIDDEN, …) are shown
// as the API words them.
"use strict";

const TOKEN_KEY = "gridhub.console.token";
const ENDPOINT = "/graphql";
const CONFIG = "config.json";  // from the hub's settings (web/console.py): the county's own map tiles, if any
const REGION_PAGE = 200;
const AUDIT_PAGE = 50;
const DELIVERY_PAGE = 50;

// -- GraphQL over HTTP ---------------------------------------------------------------------

class ApiError extends Error {
  constructor(code, message, field) {
    super(message);
    this.code = code || "ERROR";
    this.field = field || null;
  }
}

async function gql(query, variables = {}) {
  const headers = {
    "Content-Type": "application/json",
    "Accept": "application/graphql-response+json, application/json;q=0.9",
  };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (e) {
    throw new ApiError("NETWORK", `the hub did not answer: ${e.message}`);
  }
  let body;
  try {
    body = await response.json();
  } catch (e) {
    throw new ApiError(`HTTP_${response.status}`, response.statusText || "not a GraphQL answer");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const ext = first.extensions || {};
    throw new ApiError(ext.code, first.message, ext.field);
  }
  return body.data;
}

const Q = {
  departments: `{ departments { id code name } }`,
  createDepartment: `mutation($c: String!, $n: String!) { createDepartment(code: $c, name: $n) { id code name } }`,
  webhooks: `{ webhooks { id url createdBy createdAt removedAt department { id code name } } }`,
  registerWebhook: `mutation($d: ID!, $u: String!) {
    registerWebhook(department: $d, url: $u) { signingKey webhook { id url } } }`,
  removeWebhook: `mutation($id: ID!) { removeWebhook(id: $id) { id removedAt } }`,
  deliveries: `query($first: Int, $after: String, $status: DeliveryStatus) {
    webhookDeliveries(first: $first, after: $after, status: $status) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id status attempts body createdAt lastStatusCode lastError nextAttemptAt webhook { url } } } }`,
  replay: `mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status attempts } }`,
  login: `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt } }`,
  me: `{ me { username displayName roles { role domain region { name path } } } }`,
  regions: `query($first: Int, $after: String) {
    regions(first: $first, after: $after, orderBy: [{field: REGION_PATH}]) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id name code tier depth path } } }`,
  grants: `{ roleGrants { username role domain region { id name path } } }`,
  boundaries: `query($first: Int, $after: String, $tier: [Tier!]) {
    regions(first: $first, after: $after, filter: {tier: $tier}, orderBy: [{field: CODE}]) {
      pageInfo { hasNextPage endCursor } nodes { id name code tier path boundary } } }`,
  lights: `query($r: ID!) {
    red: events(first: 0, filter: {region: $r, light: [RED]}) { totalCount }
    yellow: events(first: 0, filter: {region: $r, light: [YELLOW]}) { totalCount }
    green: events(first: 0, filter: {region: $r, light: [GREEN]}) { totalCount } }`,
  users: `query($text: String) { users(text: $text) {
    username displayName isActive department { name } roles { role domain region { id name path } } } }`,
  rules: `{ policyRules { role domain object action effect } }`,
  grant: `mutation($u: String!, $r: String!, $g: ID!) { grantRole(username: $u, role: $r, region: $g) {
    username role domain } }`,
  revoke: `mutation($u: String!, $r: String!, $g: ID!) { revokeRole(username: $u, role: $r, region: $g) {
    username role domain } }`,
  addRule: `mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role domain object action effect } }`,
  removeRule: `mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role domain object action effect } }`,
  explain: `query($u: String!, $a: String!, $o: String!, $g: ID!) {
    explainAccess(username: $u, action: $a, object: $o, region: $g) { allowed rule } }`,
  tags: `{ tagVocabulary { tag label retiredAt carriers } }`,
  addTag: `mutation($t: String!, $l: String!) { addTag(tag: $t, label: $l) { tag label } }`,
  relabelTag: `mutation($t: String!, $l: String!) { relabelTag(tag: $t, label: $l) { tag label } }`,
  retireTag: `mutation($t: String!) { retireTag(tag: $t) { tag retiredAt } }`,
  removeTag: `mutation($t: String!) { removeTag(tag: $t) { tag } }`,
  organisations: `query($t: String) { organisations(first: 50, filter: {text: $t}) {
    nodes { id name kind region { name path } } } }`,
  members: `query($id: ID!) { node(id: $id) { ... on Organisation { id members(first: 500) {
    totalCount nodes { role startedOn endedOn person { id name } } } } } }`,
  membersPersons: `query($t: String) { persons(first: 50, filter: {text: $t}) { nodes { id name region { name } } } }`,
  addMember: `mutation($o: ID!, $p: ID!, $r: String!, $from: Date) {
    addMember(organisation: $o, person: $p, role: $r, startedOn: $from) { role startedOn person { name } } }`,
  endMember: `mutation($o: ID!, $p: ID!, $r: String!, $on: Date!) {
    endMember(organisation: $o, person: $p, role: $r, endedOn: $on) { role endedOn } }`,
  audit: `query($first: Int, $after: String, $filter: AuditFilter) {
    auditTrail(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id at actor action objectKind objectId field regionPath detail } } }`,
};

// -- small DOM helpers (text only: data never becomes markup) -----------------------------

const $ = (id) => document.getElementById(id);

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

function fill(el, ...children) {
  clear(el).append(...children.flat().filter((c) => c !== null && c !== undefined));
  return el;
}

// -- messages -----------------------------------------------------------------------------

const LABELS = {
  FORBIDDEN: "无权限 FORBIDDEN",
  UNAUTHENTICATED: "未登录 UNAUTHENTICATED",
  NOT_FOUND: "不存在 NOT_FOUND",
  BAD_USER_INPUT: "输入有误 BAD_USER_INPUT",
  CONFLICT: "冲突 CONFLICT",
  RATE_LIMITED: "请求过多 RATE_LIMITED",
};

function showError(err) {
  const code = err instanceof ApiError ? err.code : "ERROR";
  const banner = $("banner");
  banner.className = code === "FORBIDDEN" ? "forbidden" : "error";
  banner.dataset.code = code;
  $("banner-code").textContent = LABELS[code] || code;
  $("banner-text").textContent = err.message + (err.field ? ` (field: ${err.field})` : "");
  banner.hidden = false;
  $("notice").hidden = true;
  if (code === "UNAUTHENTICATED" && sessionStorage.getItem(TOKEN_KEY)) signOut(err.message);
}

function notify(text) {
  $("banner").hidden = true;
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = false;
}

function clearMessages() {
  $("banner").hidden = true;
  $("notice").hidden = true;
}

// Run an action; its errors go to the banner. Returns the action's value or undefined.
async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    showError(err);
    return undefined;
  }
}

// A table body that could not load says why, in place.
function refusedRow(tbody, columns, err) {
  const code = err instanceof ApiError ? err.code : "ERROR";
  fill(tbody, h("tr", { class: "refused" },
    h("td", { colspan: columns }, `${LABELS[code] || code}: ${err.message}`)));
}

// -- state --------------------------------------------------------------------------------

const state = {
  me: null,
  regions: [],             // in path order
  byPath: new Map(),       // path -> region
  children: new Map(),     // path -> [region]
  roots: [],
  expanded: new Set(),
  grants: [],
  selected: null,          // a region
  auditCursor: null,
  auditAsked: 0,
  usersAsked: 0,
  loaded: {},              // tab -> true once loaded
};

function parentPath(path) {
  const parts = path.split("/").filter(Boolean);
  return parts.length > 1 ? "/" + parts.slice(0, -1).join("/") + "/" : null;
}

function regionLabel(region) {
  return region ? `${region.name} (${region.path})` : "";
}

// -- sign-in ------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const error = $("signin-error");
  error.hidden = true;
  try {
    const data = await gql(Q.login, { u: $("signin-username").value.trim(), p: $("signin-password").value });
    sessionStorage.setItem(TOKEN_KEY, data.login.token);
    $("signin-password").value = "";
    await start();
  } catch (err) {
    error.textContent = `${LABELS[err.code] || err.code}: ${err.message}`;
    error.hidden = false;
  }
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  state.loaded = {};
  state.selected = null;
  $("console").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
  const error = $("signin-error");
  error.textContent = reason ? `请重新登录 Please sign in again: ${reason}` : "";
  error.hidden = !reason;
  $("signin-username").focus();
}

async function start() {
  clearMessages();
  let me;
  try {
    me = (await gql(Q.me)).me;
  } catch (err) {
    signOut(err.code === "UNAUTHENTICATED" ? err.message : null);
    if (err.code !== "UNAUTHENTICATED") showError(err);
    return;
  }
  state.me = me;
  const roles = me.roles.map((r) => `${r.role} @ ${r.region ? r.region.name : r.domain}`).join(", ");
  $("whoami").textContent = `${me.username}${me.displayName ? " · " + me.displayName : ""}` +
    (roles ? ` — ${roles}` : "");
  $("signin").hidden = true;
  $("who").hidden = false;
  $("console").hidden = false;
  await loadRegions();
  await showTab(location.hash.slice(1) || "regions");
  await loadSuggestions();
}

// Usernames and role names for the forms' suggestions; a caller who may not read them
// simply gets none (the tabs say why).
async function loadSuggestions() {
  try {
    const users = (await gql(Q.users, {})).users;
    fill($("usernames"), users.map((u) => h("option", { value: u.username }, u.displayName)));
  } catch (err) { /* shown on the users tab */ }
  try {
    const rules = (await gql(Q.rules)).policyRules;
    fillRoles(rules);
  } catch (err) { /* shown on the rules tab */ }
}

function fillRoles(rules) {
  const roles = [...new Set([...rules.map((r) => r.role), ...state.grants.map((g) => g.role)])].sort();
  fill($("roles"), roles.map((r) => h("option", { value: r })));
}

// -- tabs ---------------------------------------------------------------------------------

const TABS = ["regions", "users", "rules", "explain", "audit", "map", "departments", "webhooks", "vocabulary",
  "members"];

async function showTab(name) {
  if (!TABS.includes(name)) name = "regions";
  for (const tab of TABS) $(`tab-${tab}`).hidden = tab !== name;
  for (const button of document.querySelectorAll("nav.tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  if (location.hash.slice(1) !== name) history.replaceState(null, "", `#${name}`);
  if (state.loaded[name]) return;
  state.loaded[name] = true;
  if (name === "users") await loadUsers();
  if (name === "rules") await loadRules();
  if (name === "explain") fillRegionSelect();
  if (name === "audit") await loadAudit(true);
  if (name === "map") await loadMap();
  if (name === "departments") await loadDepartments();
  if (name === "webhooks") await loadWebhooks();
  if (name === "vocabulary") await loadTags();
  if (name === "members") await findOrganisations();
}

// -- the map ------------------------------------------------------------------------------
// Boundaries (GeoJSON, longitude-latitude) drawn as SVG paths in Web Mercator, the projection
// of XYZ tiles: everything comes from the hub. Only where the hub is configured with a
// county's own tile server (MAP_TILE_URL) are its tiles drawn underneath; by default none is
// asked for anything.

let consoleConfig = null;

async function config() {
  if (!consoleConfig) {
    try {
      const response = await fetch(CONFIG, { headers: { "Accept": "application/json" } });
      consoleConfig = response.ok ? await response.json() : { tiles: null };
    } catch (e) {
      consoleConfig = { tiles: null };  // an older hub, or none: boundaries alone
    }
  }
  return consoleConfig;
}

// longitude-latitude to the Web Mercator square [0, 1] x [0, 1], y downwards (as tiles count)
function mercator([lon, lat]) {
  const phi = Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2];
}

const VIEW = 800, MARGIN = 10, TILE = 256, MAX_TILES = 400;

// the tiles covering the view at the zoom where one is about 256 pixels: <image> elements
function tiles(tileConfig, left, top, scale) {
  const zoom = Math.max(0, Math.min(tileConfig.maxZoom ?? 18, Math.round(Math.log2(scale / TILE))));
  const count = 2 ** zoom, size = scale / count;
  const x0 = Math.max(0, Math.floor(left * count)), x1 = Math.min(count - 1, Math.floor((left + VIEW / scale) * count));
  const y0 = Math.max(0, Math.floor(top * count)), y1 = Math.min(count - 1, Math.floor((top + VIEW / scale) * count));
  const images = [];
  if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES) return images;
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) {
    const href = tileConfig.url.replaceAll("{z}", zoom).replaceAll("{x}", x).replaceAll("{y}", y);
    images.push(svg("image", { href, class: "tile", x: ((x / count - left) * scale).toFixed(2),
      y: ((y / count - top) * scale).toFixed(2), width: size.toFixed(2), height: size.toFixed(2),
      preserveAspectRatio: "none", "data-z": zoom, "data-x": x, "data-y": y }));
  }
  return images;
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS($("map").namespaceURI, tag);  // the SVG namespace, as the page has it
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function polygonsOf(geometry) {
  if (!geometry) return [];
  return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
}

async function loadMap() {
  const tier = $("map-tier").value;
  const regions = [];
  let after = null;
  $("map-status").textContent = "加载中 Loading…";
  try {
    for (;;) {
      const page = (await gql(Q.boundaries, { first: REGION_PAGE, after, tier: [tier] })).regions;
      regions.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
  } catch (err) {
    $("map-status").textContent = `${LABELS[err.code] || err.code}: ${err.message}`;
    showError(err);
    return;
  }
  const drawn = regions.filter((r) => polygonsOf(r.boundary).length);
  let w = 1, n = 1, e = 0, s = 0;  // the drawn regions' extent, in Mercator units
  for (const r of drawn) for (const poly of polygonsOf(r.boundary)) for (const point of poly[0]) {
    const [x, y] = mercator(point);
    w = Math.min(w, x); e = Math.max(e, x); n = Math.min(n, y); s = Math.max(s, y);
  }
  const scale = (VIEW - 2 * MARGIN) / Math.max(e - w, s - n, 1e-12);  // pixels per Mercator unit
  const left = w - MARGIN / scale, top = n - MARGIN / scale;
  const at = (point) => {
    const [x, y] = mercator(point);
    return `${((x - left) * scale).toFixed(1)},${((y - top) * scale).toFixed(1)}`;
  };
  const map = clear($("map"));
  const tileConfig = drawn.length ? (await config()).tiles : null;
  map.classList.toggle("tiled", Boolean(tileConfig));
  $("map-attribution").textContent = tileConfig ? tileConfig.attribution || "" : "";
  if (tileConfig) {  // under the boundaries
    const layer = svg("g", { class: "tiles" });
    layer.append(...tiles(tileConfig, left, top, scale));
    map.append(layer);
  }
  for (const region of drawn) {
    const d = polygonsOf(region.boundary).map((poly) => poly.map((ring) => "M" + ring.map(at).join("L") + "Z").join(""))
      .join("");
    const path = svg("path", { d, class: "area", "data-path": region.path, "fill-rule": "evenodd" });
    const title = svg("title");
    title.textContent = `${region.name} ${region.code}`;
    path.append(title);
    path.addEventListener("click", () => showOnMap(region));
    map.append(path);
  }
  $("map-status").textContent = `${drawn.length} 个区域已绘 regions drawn` +
    (regions.length > drawn.length ? `, ${regions.length - drawn.length} 个无边界 without a boundary` : "");
}

async function showOnMap(region) {
  for (const p of document.querySelectorAll("#map path.area")) p.classList.toggle("selected", p.dataset.path === region.path);
  $("map-empty").hidden = true;
  $("map-info").hidden = false;
  $("map-name").textContent = region.name;
  $("map-tier-code").textContent = `${region.tier} · ${region.code}`;
  $("map-path").textContent = region.path;
  const here = grantsAt(region.path);
  $("map-grants").textContent = here.length ? here.map((g) => `${g.username} (${g.role})`).join(", ") : "无 None";
  fill($("map-lights"), h("tr", {}, h("td", { colspan: 2, class: "muted" }, "加载中 Loading…")));
  try {
    const lights = await gql(Q.lights, { r: region.id });
    fill($("map-lights"), [["red", "红 RED"], ["yellow", "黄 YELLOW"], ["green", "绿 GREEN"]].map(([key, label]) =>
      h("tr", { dataset: { light: key } }, h("td", {}, h("span", { class: `light ${key}` }), label),
        h("td", {}, String(lights[key].totalCount)))));
  } catch (err) {
    fill($("map-lights"), h("tr", { class: "refused" }, h("td", { colspan: 2 }, `${LABELS[err.code] || err.code}: ${err.message}`)));
  }
}

// -- regions and grants -------------------------------------------------------------------

async function loadRegions() {
  const regions = [];
  let after = null;
  $("tree-status").textContent = "加载中 Loading…";
  try {
    for (;;) {
      const page = (await gql(Q.regions, { first: REGION_PAGE, after })).regions;
      regions.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
  } catch (err) {
    $("tree-status").textContent = `${LABELS[err.code] || err.code}: ${err.message}`;
    showError(err);
    return;
  }
  state.regions = regions;
  state.byPath = new Map(regions.map((r) => [r.path, r]));
  state.children = new Map();
  state.roots = [];
  for (const region of regions) {
    const parent = parentPath(region.path);
    if (parent && state.byPath.has(parent)) {
      if (!state.children.has(parent)) state.children.set(parent, []);
      state.children.get(parent).push(region);
    } else {
      state.roots.push(region);
    }
  }
  // open the roots, and the way down to where the admin's own roles are
  for (const root of state.roots) state.expanded.add(root.path);
  for (const role of (state.me && state.me.roles) || []) {
    for (let p = role.domain.replace(/\*$/, ""); p; p = parentPath(p)) state.expanded.add(p);
  }
  $("tree-status").textContent = `${regions.length} 个区域 regions you may read`;
  await loadGrants();
}

async function loadGrants() {
  try {
    state.grants = (await gql(Q.grants)).roleGrants;
  } catch (err) {
    state.grants = [];
    showError(err);
  }
  state.grantsAt = null;
  renderTree();
  renderNode();
}

function grantsAt(path) {
  if (!state.grantsAt) {  // grants by the node they are at, built once per load
    state.grantsAt = new Map();
    for (const g of state.grants) {
      const at = g.domain.replace(/\*$/, "");
      if (!state.grantsAt.has(at)) state.grantsAt.set(at, []);
      state.grantsAt.get(at).push(g);
    }
  }
  return state.grantsAt.get(path) || [];
}

function grantsBelow(path) {
  return state.grants.filter((g) => g.domain !== `${path}*` && g.domain.startsWith(path));
}

function visibleByFilter() {
  const text = $("tree-filter").value.trim().toLowerCase();
  if (!text) return null;
  const shown = new Set();
  for (const region of state.regions) {
    if (region.name.toLowerCase().includes(text) || region.path.includes(text) || region.code.includes(text)) {
      for (let p = region.path; p; p = parentPath(p)) shown.add(p);
    }
  }
  return shown;
}

function renderTree() {
  const shown = visibleByFilter();
  const tree = $("tree");
  const build = (region) => {
    if (shown && !shown.has(region.path)) return null;
    const kids = state.children.get(region.path) || [];
    const open = shown ? true : state.expanded.has(region.path);
    const count = grantsAt(region.path).length;
    const selected = state.selected && state.selected.path === region.path;
    return h("li", { dataset: { path: region.path } },
      h("span", {
        class: "toggle" + (kids.length ? "" : " leaf"),
        onclick: () => {
          if (!kids.length) return;
          if (state.expanded.has(region.path)) state.expanded.delete(region.path);
          else state.expanded.add(region.path);
          renderTree();
        },
      }, kids.length ? (open ? "▾" : "▸") : "·"),
      h("a", {
        href: "#regions", class: "node" + (selected ? " selected" : ""),
        dataset: { path: region.path, id: region.id },
        onclick: (e) => { e.preventDefault(); selectRegion(region); },
      }, region.name),
      " ", h("span", { class: "tier" }, region.tier),
      count ? h("span", { class: "badge", title: "grants at this node" }, String(count)) : null,
      kids.length && open ? h("ul", {}, kids.map(build)) : null);
  };
  fill(tree, state.roots.map(build));
}

function selectRegion(region) {
  state.selected = region;
  for (let p = parentPath(region.path); p; p = parentPath(p)) state.expanded.add(p);  // stays open
  clearMessages();
  renderTree();
  renderNode();
}

function renderNode() {
  const region = state.selected;
  $("node-empty").hidden = !!region;
  $("node-info").hidden = !region;
  if (!region) return;
  $("node-name").textContent = region.name;
  $("node-tier").textContent = `${region.tier} · ${region.code}`;
  $("node-path").textContent = region.path;
  const here = grantsAt(region.path);
  fill($("node-grants"), here.length ? here.map((g) => h("tr", { dataset: { username: g.username, role: g.role } },
    h("td", {}, g.username), h("td", {}, g.role), h("td", {}, h("code", {}, g.domain)),
    h("td", {}, h("button", { type: "button", class: "danger", onclick: () => revoke(g, region) },
      "撤销 Revoke"))))
    : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "无 None")));
  const below = grantsBelow(region.path);
  fill($("node-below"), below.length
    ? below.slice(0, 100).map((g) => h("span", { class: "chip" }, `${g.username}: ${g.role} @ `,
      h("a", {
        href: "#regions",
        onclick: (e) => { e.preventDefault(); const r = state.byPath.get(g.domain.replace(/\*$/, "")); if (r) selectRegion(r); },
      }, g.region ? g.region.name : g.domain)))
    : ["无 None"]);
}

async function grant(event) {
  event.preventDefault();
  const region = state.selected;
  if (!region) return;
  const username = $("grant-username").value.trim();
  const role = $("grant-role").value.trim();
  const done = await attempt(() => gql(Q.grant, { u: username, r: role, g: region.id }));
  if (!done) return;
  notify(`已授予 Granted ${role} to ${username} at ${regionLabel(region)}`);
  await afterPolicyChange();
}

async function revoke(g, region) {
  const where = g.region || region;
  if (!where) {
    showError(new ApiError("NOT_FOUND", `the region of ${g.domain} is not one you may read`));
    return;
  }
  if (!confirm(`撤销 Revoke ${g.role} of ${g.username} at ${where.name}?`)) return;
  const done = await attempt(() => gql(Q.revoke, { u: g.username, r: g.role, g: where.id }));
  if (!done) return;
  notify(`已撤销 Revoked ${g.role} of ${g.username} at ${regionLabel(where)}`);
  await afterPolicyChange();
}

async function afterPolicyChange() {
  const message = $("notice").hidden ? null : $("notice").textContent;
  await loadGrants();
  state.loaded = { [currentTab()]: true };
  if (currentTab() === "users") await loadUsers();
  if (currentTab() === "rules") await loadRules();
  if (message && $("banner").hidden) notify(message);
}

function currentTab() {
  return TABS.find((tab) => !$(`tab-${tab}`).hidden) || "regions";
}

// -- users --------------------------------------------------------------------------------

async function loadUsers(event) {
  if (event) event.preventDefault();
  const tbody = $("users");
  const text = $("users-text").value.trim();
  const asked = ++state.usersAsked;
  let users;
  try {
    users = (await gql(Q.users, { text: text || null })).users;
  } catch (err) {
    if (asked !== state.usersAsked) return;
    refusedRow(tbody, 4, err);
    showError(err);
    return;
  }
  if (asked !== state.usersAsked) return;
  if (!text) fill($("usernames"), users.map((u) => h("option", { value: u.username }, u.displayName)));
  fill(tbody, users.length ? users.map((u) => h("tr", { dataset: { username: u.username } },
    h("td", {}, u.username, u.isActive ? null : h("span", { class: "muted" }, " (停用 inactive)")),
    h("td", {}, u.displayName),
    h("td", {}, u.department ? u.department.name : ""),
    h("td", {}, u.roles.map((g) => h("span", { class: "chip", dataset: { role: g.role, domain: g.domain } },
      `${g.role} @ ${g.region ? g.region.name : g.domain}`,
      h("button", { type: "button", class: "x", title: "撤销 Revoke", onclick: () => revoke(g, g.region) }, "×"))))))
    : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "无 None")));
}

// -- rules --------------------------------------------------------------------------------

async function loadRules() {
  const tbody = $("rules");
  try {
    state.rules = (await gql(Q.rules)).policyRules;
  } catch (err) {
    state.rules = [];
    refusedRow(tbody, 6, err);
    showError(err);
    return;
  }
  fillRoles(state.rules);
  renderRules();
}

function renderRules() {
  const filter = $("rules-filter").value.trim();
  const rules = (state.rules || []).filter((r) => !filter || r.role.includes(filter));
  $("rules-count").textContent = `${rules.length} / ${(state.rules || []).length}`;
  fill($("rules"), rules.map((r) => h("tr", { class: r.effect === "deny" ? "deny" : null },
    h("td", {}, r.role), h("td", {}, h("code", {}, r.domain)), h("td", {}, h("code", {}, r.object)),
    h("td", {}, r.action), h("td", {}, r.effect),
    h("td", {}, h("button", { type: "button", class: "danger", onclick: () => removeRule(r) }, "删除 Remove")))));
}

async function addRule(event) {
  event.preventDefault();
  const rule = {
    role: $("rule-role").value.trim(), domain: $("rule-domain").value.trim(),
    object: $("rule-object").value.trim(), action: $("rule-action").value.trim(), effect: $("rule-effect").value,
  };
  const done = await attempt(() => gql(Q.addRule, { r: rule }));
  if (!done) return;
  notify(`已添加规则 Rule added: p, ${Object.values(rule).join(", ")}`);
  await loadRules();
}

async function removeRule(rule) {
  const text = `p, ${rule.role}, ${rule.domain}, ${rule.object}, ${rule.action}, ${rule.effect}`;
  if (!confirm(`删除规则 Remove rule ${text}?`)) return;
  const done = await attempt(() => gql(Q.removeRule, { r: rule }));
  if (!done) return;
  notify(`已删除规则 Rule removed: ${text}`);
  await loadRules();
}

// -- the tag vocabulary ---------------------------------------------------------------------
// Everyone signed in reads it; the edits are refused (FORBIDDEN, in the banner) to all but
// policy admins granted `vocabulary` `update` at the county.

async function loadTags() {
  const tbody = $("tags");
  let tags;
  try {
    tags = (await gql(Q.tags)).tagVocabulary;
  } catch (err) {
    refusedRow(tbody, 5, err);
    showError(err);
    return;
  }
  $("tags-count").textContent = `共 ${tags.length} 个 tags`;
  fill(tbody, tags.map((t) => h("tr", { dataset: { tag: t.tag }, class: t.retiredAt ? "retired" : null },
    h("td", {}, h("code", {}, t.tag)), h("td", { class: "label" }, t.label), h("td", {}, t.carriers),
    h("td", { class: "state" }, t.retiredAt ? `已停用 retired ${localTime(t.retiredAt)}` : "在用 in use"),
    h("td", {},
      h("button", { type: "button", class: "secondary relabel", onclick: () => relabelTag(t) }, "改名 Relabel"),
      t.retiredAt ? null : h("button", { type: "button", class: "secondary retire", onclick: () => retireTag(t) },
        "停用 Retire"),
      h("button", { type: "button", class: "danger remove", onclick: () => removeTag(t) }, "删除 Remove")))));
}

async function addTag(event) {
  event.preventDefault();
  const tag = $("tag-path").value.trim();
  const done = await attempt(() => gql(Q.addTag, { t: tag, l: $("tag-label").value.trim() }));
  if (!done) return;
  notify(`已添加标签 Tag added: ${done.addTag.tag} ${done.addTag.label}`);
  $("tag-path").value = "";
  $("tag-label").value = "";
  await loadTags();
}

async function relabelTag(t) {
  const label = prompt(`${t.tag} 的新名称 New label`, t.label);
  if (label === null) return;
  const done = await attempt(() => gql(Q.relabelTag, { t: t.tag, l: label.trim() }));
  if (!done) return;
  notify(`已改名 Relabelled: ${t.tag} ${done.relabelTag.label}`);
  await loadTags();
}

async function retireTag(t) {
  if (!confirm(`停用标签 Retire ${t.tag}? 已有的人保留它 Those who carry it keep it.`)) return;
  const done = await attempt(() => gql(Q.retireTag, { t: t.tag }));
  if (!done) return;
  notify(`已停用 Retired: ${t.tag}`);
  await loadTags();
}

async function removeTag(t) {
  if (!confirm(`删除标签 Remove ${t.tag}?`)) return;
  const done = await attempt(() => gql(Q.removeTag, { t: t.tag }));
  if (!done) return;
  notify(`已删除 Removed: ${t.tag}`);
  await loadTags();
}

// -- an organisation's members ----------------------------------------------------------------
// The organisations and persons listed are those the signed-in user reads; adding and ending
// members is refused (FORBIDDEN, in the banner) but where the policy grants `membership`
// `create` / `update` at the organisation's region.

function chosenOrganisation() {
  const select = $("org-select");
  const option = select.options[select.selectedIndex];
  return option ? { id: option.value, path: option.dataset.path } : null;
}

async function findOrganisations(event) {
  if (event) event.preventDefault();
  const text = $("org-text").value.trim() || null;
  const data = await attempt(() => gql(Q.organisations, { t: text }));
  if (!data) return;
  const organisations = data.organisations.nodes;
  fill($("org-select"), organisations.map((o) => h("option",
    { value: o.id, dataset: { path: o.region ? o.region.path : "" } },
    `${o.name}${o.region ? " · " + o.region.name : ""}`)));
  await loadMembers();
}

async function loadMembers() {
  const organisation = chosenOrganisation();
  const tbody = $("members");
  $("member-form").hidden = !organisation;
  if (!organisation) {
    $("org-info").textContent = "没有可读的组织 No organisation you may read matches.";
    clear(tbody);
    return;
  }
  let members;
  try {
    members = (await gql(Q.members, { id: organisation.id })).node.members;
  } catch (err) {
    refusedRow(tbody, 6, err);
    showError(err);
    return;
  }
  $("org-info").textContent = `${organisation.path} — 共 ${members.totalCount} 条 memberships`;
  const open = (m) => !m.endedOn;
  fill(tbody, members.nodes.map((m) => h("tr", {
    dataset: { person: m.person ? m.person.id : "", role: m.role, open: String(open(m)) },
    class: open(m) ? null : "left" },
    h("td", { class: "person" }, m.person ? m.person.name : "—"), h("td", { class: "role" }, m.role),
    h("td", {}, m.startedOn || ""), h("td", { class: "until" }, m.endedOn || ""),
    h("td", { class: "state" }, open(m) ? "在任 current" : "已离开 left"),
    h("td", {}, open(m) && m.person
      ? h("button", { type: "button", class: "secondary end", onclick: () => endMember(m) }, "结束 End") : null))));
}

async function findMemberPersons() {
  const organisation = chosenOrganisation();
  if (!organisation) return;
  // any person the user reads: an organisation's people need not live where it is
  const data = await attempt(() => gql(Q.membersPersons, { t: $("member-text").value.trim() || null }));
  if (!data) return;
  fill($("member-person"), data.persons.nodes.map((p) => h("option", { value: p.id },
    `${p.name}${p.region ? " · " + p.region.name : ""}`)));
}

async function addMember(event) {
  event.preventDefault();
  const organisation = chosenOrganisation();
  const person = $("member-person").value;
  if (!organisation || !person) return;
  const done = await attempt(() => gql(Q.addMember, {
    o: organisation.id, p: person, r: $("member-role").value.trim(), from: $("member-from").value || null }));
  if (!done) return;
  notify(`已加入 Member added: ${done.addMember.person ? done.addMember.person.name : ""} ${done.addMember.role}`);
  await loadMembers();
}

async function endMember(m) {
  const organisation = chosenOrganisation();
  const on = prompt(`${m.person.name} ${m.role} 的最后一天 Last day (YYYY-MM-DD)`, new Date().toISOString().slice(0, 10));
  if (on === null) return;
  const done = await attempt(() => gql(Q.endMember, { o: organisation.id, p: m.person.id, r: m.role, on: on.trim() }));
  if (!done) return;
  notify(`已结束 Membership ended: ${m.person.name} ${done.endMember.role} ${done.endMember.endedOn}`);
  await loadMembers();
}

// -- explain ------------------------------------------------------------------------------

function fillRegionSelect() {
  const select = $("explain-region");
  const top = Math.min(...state.regions.map((r) => r.depth));
  fill(select, state.regions.map((r) => h("option", { value: r.id, dataset: { path: r.path } },
    "\u3000".repeat(Math.max(0, r.depth - top)) + r.name)));
  if (state.selected) select.value = state.selected.id;
}

async function explain(event) {
  event.preventDefault();
  const out = $("explain-result");
  const args = {
    u: $("explain-username").value.trim(), a: $("explain-action").value.trim(),
    o: $("explain-object").value.trim(), g: $("explain-region").value,
  };
  out.hidden = true;
  const data = await attempt(() => gql(Q.explain, args));
  if (!data) return;
  const { allowed, rule } = data.explainAccess;
  const region = state.regions.find((r) => r.id === args.g);
  out.className = "result " + (allowed ? "allowed" : "denied");
  out.dataset.allowed = String(allowed);
  fill(out,
    h("strong", {}, allowed ? "✔ 允许 Allowed" : "✘ 拒绝 Denied"),
    ` — ${args.u} ${args.a} ${args.o} @ ${regionLabel(region)}`,
    h("br"),
    rule ? ["由规则 by rule: ", h("code", { id: "explain-rule" }, `p, ${rule.join(", ")}`)]
      : "没有规则允许（默认拒绝）No rule allows it: denied by default.");
  out.hidden = false;
}

// -- audit trail --------------------------------------------------------------------------

function localTime(iso) {
  const t = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ` +
    `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

function auditFilter() {
  const filter = {};
  const set = (key, id) => { const v = $(id).value.trim(); if (v) filter[key] = v; };
  set("actor", "audit-actor");
  set("action", "audit-action");
  set("objectKind", "audit-kind");
  set("regionPath", "audit-path");
  const since = $("audit-since").value;
  if (since) filter.since = new Date(since).toISOString();
  return filter;
}

async function loadAudit(fresh, event) {
  if (event) event.preventDefault();
  const tbody = $("audit");
  if (fresh) state.auditCursor = null;
  const asked = ++state.auditAsked;  // only the latest search fills the table
  let page;
  try {
    page = (await gql(Q.audit, { first: AUDIT_PAGE, after: state.auditCursor, filter: auditFilter() })).auditTrail;
  } catch (err) {
    if (asked !== state.auditAsked) return;
    refusedRow(tbody, 7, err);
    $("audit-more").hidden = true;
    showError(err);
    return;
  }
  if (asked !== state.auditAsked) return;
  const rows = page.nodes.map((e) => h("tr", { dataset: { action: e.action } },
    h("td", { title: e.at }, localTime(e.at)), h("td", {}, e.actor), h("td", {}, e.action),
    h("td", {}, `${e.objectKind} `, h("code", {}, e.objectId)), h("td", {}, e.field),
    h("td", {}, h("code", {}, e.regionPath)),
    h("td", { class: "detail" }, e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : "")));
  if (fresh) fill(tbody, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "无 None")));
  else tbody.append(...rows);
  $("audit-count").textContent = `共 ${page.totalCount} 条 entries`;
  state.auditCursor = page.pageInfo.endCursor;
  $("audit-more").hidden = !page.pageInfo.hasNextPage;
}

// -- departments --------------------------------------------------------------------------

async function loadDepartments() {
  const tbody = $("departments");
  let departments;
  try {
    departments = (await gql(Q.departments)).departments;
  } catch (err) {
    refusedRow(tbody, 3, err);
    showError(err);
    return [];
  }
  $("departments-count").textContent = `共 ${departments.length} 个部门 departments`;
  fill(tbody, departments.map((d) => h("tr", { dataset: { code: d.code } },
    h("td", {}, h("code", {}, d.code)), h("td", {}, d.name), h("td", {}, h("code", {}, `dept.${d.code}`)))));
  return departments;
}

async function createDepartment(event) {
  event.preventDefault();
  const code = $("department-code").value.trim();
  const name = $("department-name").value.trim();
  const made = await attempt(() => gql(Q.createDepartment, { c: code, n: name }));
  if (!made) return;
  notify(`已添加部门 Department added: ${made.createDepartment.name} (dept.${made.createDepartment.code})`);
  $("department-form").reset();
  await loadDepartments();
  state.loaded.webhooks = false;  // its department list is out of date
  await loadSuggestions();
}

// -- webhooks -----------------------------------------------------------------------------

async function loadWebhooks() {
  const tbody = $("webhooks");
  let hooks;
  try {
    const departments = (await gql(Q.departments)).departments;
    const chosen = $("webhook-department").value;  // kept across reloads (after a registration)
    fill($("webhook-department"), departments.map((d) => h("option", { value: d.id }, `${d.name} (${d.code})`)));
    if (departments.some((d) => d.id === chosen)) $("webhook-department").value = chosen;
    hooks = (await gql(Q.webhooks)).webhooks;
  } catch (err) {
    refusedRow(tbody, 5, err);
    showError(err);
    return;
  }
  fill(tbody, hooks.length ? hooks.map((w) => h("tr", { class: w.removedAt ? "removed" : null,
                                                       dataset: { url: w.url } },
    h("td", {}, w.department ? w.department.name : ""), h("td", {}, h("code", {}, w.url)),
    h("td", {}, w.createdBy), h("td", { title: w.createdAt }, localTime(w.createdAt)),
    h("td", {}, w.removedAt ? h("span", { class: "muted" }, `已停用 removed ${localTime(w.removedAt)}`)
      : h("button", { type: "button", class: "danger", onclick: () => removeWebhook(w) }, "停用 Remove"))))
    : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "无 None")));
  await loadDeliveries(true);
}

async function registerWebhook(event) {
  event.preventDefault();
  const url = $("webhook-url").value.trim();
  const made = await attempt(() => gql(Q.registerWebhook, { d: $("webhook-department").value, u: url }));
  if (!made) return;
  $("webhook-key-value").textContent = made.registerWebhook.signingKey;
  $("webhook-key").hidden = false;
  notify(`已登记 Webhook registered: ${made.registerWebhook.webhook.url}`);
  $("webhook-url").value = "";
  await loadWebhooks();
}

async function removeWebhook(hook) {
  if (!confirm(`停用 Stop POSTing to ${hook.url}?`)) return;
  const done = await attempt(() => gql(Q.removeWebhook, { id: hook.id }));
  if (!done) return;
  notify(`已停用 Webhook removed: ${hook.url}`);
  await loadWebhooks();
}

async function loadDeliveries(fresh, event) {
  if (event) event.preventDefault();
  const tbody = $("deliveries");
  if (fresh) state.deliveryCursor = null;
  const asked = state.deliveriesAsked = (state.deliveriesAsked || 0) + 1;
  let page;
  try {
    page = (await gql(Q.deliveries, { first: DELIVERY_PAGE, after: state.deliveryCursor,
                                      status: $("deliveries-status").value || null })).webhookDeliveries;
  } catch (err) {
    if (asked !== state.deliveriesAsked) return;
    refusedRow(tbody, 8, err);
    $("deliveries-more").hidden = true;
    showError(err);
    return;
  }
  if (asked !== state.deliveriesAsked) return;
  const rows = page.nodes.map((d) => h("tr", { dataset: { status: d.status, id: d.id } },
    h("td", {}, h("code", {}, d.id)), h("td", {}, h("code", {}, d.webhook ? d.webhook.url : "")),
    h("td", { class: `status-${d.status.toLowerCase()}` }, d.status), h("td", {}, d.attempts),
    h("td", {}, d.lastStatusCode === null ? (d.lastError || "") : `${d.lastStatusCode} ${d.lastError || ""}`),
    h("td", { title: d.createdAt }, localTime(d.createdAt)),
    h("td", { class: "detail" }, d.body),
    h("td", {}, d.status === "PENDING" ? h("span", { class: "muted" }, d.nextAttemptAt ? `next ${localTime(d.nextAttemptAt)}` : "")
      : h("button", { type: "button", onclick: () => replayDelivery(d) }, "重发 Replay"))));
  if (fresh) fill(tbody, rows.length ? rows : h("tr", {}, h("td", { colspan: 8, class: "muted" }, "无 None")));
  else tbody.append(...rows);
  $("deliveries-count").textContent = `共 ${page.totalCount} 条 deliveries`;
  state.deliveryCursor = page.pageInfo.endCursor;
  $("deliveries-more").hidden = !page.pageInfo.hasNextPage;
}

async function replayDelivery(delivery) {
  const done = await attempt(() => gql(Q.replay, { id: delivery.id }));
  if (!done) return;
  notify(`已重新排队 Delivery queued again: ${delivery.id}`);
  await loadDeliveries(true);
}

// -- wiring -------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", () => signOut(null));
  $("banner-close").addEventListener("click", () => { $("banner").hidden = true; });
  for (const button of document.querySelectorAll("nav.tabs button")) {
    button.addEventListener("click", () => { clearMessages(); showTab(button.dataset.tab); });
  }
  $("tree-filter").addEventListener("input", renderTree);
  $("grant-form").addEventListener("submit", grant);
  $("users-form").addEventListener("submit", loadUsers);
  $("rule-form").addEventListener("submit", addRule);
  $("rules-filter").addEventListener("input", renderRules);
  $("rule-domain-here").addEventListener("click", () => {
    if (state.selected) $("rule-domain").value = `${state.selected.path}*`;
    else showError(new ApiError("BAD_USER_INPUT", "select a region on the regions tab first"));
  });
  $("explain-form").addEventListener("submit", explain);
  $("audit-form").addEventListener("submit", (e) => loadAudit(true, e));
  $("audit-more").addEventListener("click", () => loadAudit(false));
  $("map-tier").addEventListener("change", () => loadMap());
  $("department-form").addEventListener("submit", createDepartment);
  $("webhook-form").addEventListener("submit", registerWebhook);
  $("deliveries-form").addEventListener("submit", (e) => loadDeliveries(true, e));
  $("deliveries-more").addEventListener("click", () => loadDeliveries(false));
  $("tag-form").addEventListener("submit", addTag);
  $("org-form").addEventListener("submit", findOrganisations);
  $("org-select").addEventListener("change", () => loadMembers());
  $("member-find").addEventListener("click", findMemberPersons);
  $("member-form").addEventListener("submit", addMember);
  if (sessionStorage.getItem(TOKEN_KEY)) start();
  else signOut(null);
});
