// The clearance desk: reviewers settle held versions, compliance officers read the audit record.
// Every text from the API or a feed goes into the page as text nodes; the only HTML rendered is a
// cleared copy's body, inside an iframe with an empty sandbox.

const TOKEN_KEY = "clearance.desk.idToken";
const PAGE_SIZE = 50;
const NOT_CONFIGURED = "The console is not configured: config.json could not be read.";
const SESSION_ENDED = "Your session has ended; sign in again.";
const UNREACHABLE = "The service could not be reached.";
const COGNITO = "AWSCognitoIdentityProviderService.";

const state = {
  config: null,
  token: null,
  claims: null,
  view: null,
  seq: 0,
  signInStatus: null,
  // Kept across views so "Back to the audit" returns to the same question.
  auditFilters: { provider: "", outcome: "", rule: "", from: "", to: "" },
  killFilters: { from: "", to: "" },
};

const shell = {
  alert: document.getElementById("alert"),
  view: document.getElementById("view"),
  session: document.getElementById("session"),
  who: document.getElementById("who"),
  groups: document.getElementById("groups"),
  signOut: document.getElementById("sign-out"),
  nav: document.getElementById("nav"),
};

class SessionEnded extends Error {}

class ApiError extends Error {
  constructor(status, code, message, parameter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter;
  }
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only, never markup.

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "hidden") el.hidden = true;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  add(el, children);
  return el;
}

function add(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

function show(region, content) {
  region.replaceChildren();
  add(region, content);
  region.hidden = false;
}

function hide(region) {
  region.replaceChildren();
  region.hidden = true;
}

function statusRegion(extraClass = "") {
  return h("p", { class: `status ${extraClass}`.trim(), role: "status", hidden: true });
}

function alertRegion(extraClass = "") {
  return h("div", { class: `alert ${extraClass}`.trim(), role: "alert", hidden: true });
}

function errorContent(error) {
  if (error instanceof ApiError) {
    const parts = [h("span", { class: "alert-message" }, error.message)];
    if (error.code) parts.push(" ", h("small", { class: "alert-code" }, `(code: ${error.code})`));
    return parts;
  }
  return [h("span", { class: "alert-message" }, String(error && error.message ? error.message : error))];
}

function field(id, label, control, hint) {
  control.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true });
  const parts = [h("label", { for: id }, label)];
  if (hint) {
    const hintId = `${id}-hint`;
    parts.push(h("p", { class: "hint", id: hintId }, hint));
    control.setAttribute("aria-describedby", hintId);
  }
  parts.push(control, error);
  return { wrap: h("div", { class: "field" }, parts), control, error };
}

function tableWrap(caption, headers) {
  const tbody = h("tbody");
  const table = h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
    tbody,
  );
  // A scrolling table must be reachable by keyboard at 320 px; the caption names the table.
  const wrap = h("div", { class: "table-wrap", tabindex: "0" }, table);
  return { wrap, tbody };
}

function dl(rows) {
  const list = h("dl", { class: "facts" });
  for (const [term, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    list.append(h("dt", {}, term), add(h("dd"), [value]));
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Words for times and states.

function pad(n) {
  return String(n).padStart(2, "0");
}

function formatTime(iso) {
  if (!iso) return "unknown";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
  );
}

function timeEl(iso) {
  return iso ? h("time", { datetime: iso }, formatTime(iso)) : "unknown";
}

function heldFor(iso, now = Date.now()) {
  const since = Date.parse(iso);
  if (Number.isNaN(since)) return "unknown";
  const minutes = Math.max(0, Math.floor((now - since) / 60000));
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 24) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return days === 1 ? "1 day" : `${days} days`;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

const SEVERITY_ORDER = { critical: 0, major: 1, info: 2 };

const SEAL_WORDS = {
  matches: "sealed: the record matches its sealed copy",
  open: "not sealed yet: its hour is still open",
  differs: "ALTERED: the record differs from its sealed copy",
  "not-in-segment": "NOT IN ITS SEAL: written or rewritten after its hour was sealed",
  deleted: "DELETED: the record is gone from the bucket",
  unchecked: "UNCHECKED: its seal could not be checked",
};

const QUIET_SEALS = new Set(["matches", "open"]);

function sealedColumn(value) {
  if (value === "open") return { text: "open hour", cls: "seal-open" };
  if (value === "unsealed") return { text: "UNSEALED", cls: "seal-bad" };
  return { text: "sealed", cls: "seal-ok" };
}

// ---------------------------------------------------------------------------------------------
// The session: an ID token from Cognito, kept for this tab only.

function decodeToken(token) {
  try {
    const parts = String(token).split(".");
    if (parts.length !== 3) return null;
    let b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    b64 += "=".repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

function expired(claims) {
  return !claims || typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now();
}

function readStoredToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage may be off; the session then lasts as long as the page.
  }
}

function startSession(token, claims) {
  state.token = token;
  state.claims = claims;
  storeToken(token);
  const username = claims["cognito:username"] || claims.username || "unknown";
  shell.who.textContent = claims.email
    ? `Signed in as ${username} (${claims.email})`
    : `Signed in as ${username}`;
  const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"] : [];
  shell.groups.textContent = `Groups: ${groups.length ? groups.join(", ") : "none"}`;
  shell.session.hidden = false;
  shell.nav.hidden = false;
}

function dropSession() {
  state.token = null;
  state.claims = null;
  storeToken(null);
  shell.session.hidden = true;
  shell.nav.hidden = true;
  shell.who.textContent = "";
  shell.groups.textContent = "";
}

function endSession() {
  dropSession();
  showSignIn();
  show(shell.alert, SESSION_ENDED);
}

function signOut() {
  dropSession();
  history.replaceState(null, "", location.pathname + location.search);
  showSignIn();
  show(state.signInStatus, "You have signed out.");
}

// ---------------------------------------------------------------------------------------------
// Calls.

function apiUrl(path, params = {}) {
  const base = (state.config.api || "").replace(/\/+$/, "");
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || String(value).trim() === "") continue;
    query.set(name, String(value).trim());
  }
  const qs = query.toString();
  return `${base}/desk/v1${path}${qs ? `?${qs}` : ""}`;
}

async function api(path, { method = "GET", params = {}, body } = {}) {
  const token = state.token;
  if (!token) throw new SessionEnded();
  if (expired(state.claims)) {
    endSession();
    throw new SessionEnded();
  }
  const headers = { Authorization: token, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(apiUrl(path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, null, UNREACHABLE);
  }
  if (response.status === 401) {
    // A second call answering 401 after the first ended the session must not end it again.
    if (state.token === token) endSession();
    throw new SessionEnded();
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error : null;
    if (error && typeof error === "object") {
      throw new ApiError(
        response.status,
        error.code ? String(error.code) : null,
        error.message ? String(error.message) : `The service answered ${response.status}.`,
        error.parameter ? String(error.parameter) : null,
      );
    }
    const message = data && typeof data.message === "string" ? data.message : null;
    throw new ApiError(
      response.status,
      null,
      message ? `The service answered ${response.status}: ${message}` : `The service answered ${response.status}.`,
    );
  }
  if (data === null || typeof data !== "object") {
    throw new ApiError(response.status, null, "The service answered with something that is not JSON.");
  }
  return data;
}

async function cognito(action, payload) {
  let response;
  try {
    response = await fetch(state.config.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": COGNITO + action,
      },
      body: JSON.stringify(payload),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    return { failure: UNREACHABLE };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok || !data || typeof data !== "object") {
    // __type may carry a namespace: "com.amazonaws...#NotAuthorizedException".
    const type = String((data && data.__type) || "").split("#").pop();
    const message = (data && (data.message || data.Message)) || `Cognito answered ${response.status}`;
    return { type, message: String(message) };
  }
  return { data };
}

function isStale(seq) {
  return seq !== state.seq;
}

// ---------------------------------------------------------------------------------------------
// Views.

function newView(name, heading) {
  state.seq += 1;
  state.view = name;
  hide(shell.alert);
  const h2 = h("h2", { id: "view-title", tabindex: "-1" }, heading);
  const section = h("section", { class: `view view-${name}` }, h2);
  shell.view.replaceChildren(section);
  document.title = `${heading} — Clearance desk`;
  for (const link of shell.nav.querySelectorAll("a[data-view]")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  return { name, h2, section, seq: state.seq };
}

function setHeading(view, heading) {
  view.h2.textContent = heading;
  document.title = `${heading} — Clearance desk`;
}

function fail(view, error, region = shell.alert) {
  if (error instanceof SessionEnded || isStale(view.seq)) return;
  show(region, errorContent(error));
}

// Sign-in -------------------------------------------------------------------------------------

function showSignIn() {
  const view = newView("signin", "Sign in");
  const status = statusRegion();
  state.signInStatus = status;
  const username = h("input", {
    type: "text",
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
  });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit" }, "Sign in");
  const user = field("signin-username", "Username", username);
  const pass = field("signin-password", "Password", password);
  const form = h("form", { class: "stack signin", novalidate: true }, user.wrap, pass.wrap, h("div", { class: "actions" }, submit));
  view.section.append(form, status);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hide(shell.alert);
    hide(status);
    const u = username.value.trim();
    const p = password.value;
    if (!u || !p) {
      show(shell.alert, "Give your username and password.");
      (u ? password : username).focus();
      return;
    }
    submit.disabled = true;
    show(status, "Signing in…");
    const answer = await cognito("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: state.config.clientId,
      AuthParameters: { USERNAME: u, PASSWORD: p },
    });
    if (isStale(view.seq)) return;
    submit.disabled = false;
    hide(status);
    if (answer.failure) {
      show(shell.alert, answer.failure);
      submit.focus();
      return;
    }
    if (answer.type !== undefined) {
      const wrong = answer.type === "NotAuthorizedException" || answer.type === "UserNotFoundException";
      show(shell.alert, wrong ? "Wrong username or password." : `Sign-in failed: ${answer.message}`);
      password.value = "";
      password.focus();
      return;
    }
    signedIn(answer.data, u);
  });
  view.h2.focus();
}

function signedIn(data, username) {
  if (data.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    showNewPassword(username, data.Session);
    return;
  }
  if (data.ChallengeName) {
    show(shell.alert, `Sign-in failed: this console cannot answer the ${data.ChallengeName} challenge.`);
    return;
  }
  const token = data.AuthenticationResult && data.AuthenticationResult.IdToken;
  const claims = token ? decodeToken(token) : null;
  if (!claims) {
    show(shell.alert, "Sign-in failed: the answer held no ID token this page can read.");
    return;
  }
  if (expired(claims)) {
    show(shell.alert, "Sign-in failed: the ID token has already expired; check this computer's clock.");
    return;
  }
  startSession(token, claims);
  route();
}

function showNewPassword(username, session) {
  const view = newView("newpassword", "Choose a new password");
  const status = statusRegion();
  const password = h("input", {
    type: "password",
    name: "new-password",
    autocomplete: "new-password",
    required: true,
  });
  const pass = field(
    "new-password",
    "New password",
    password,
    `Your account (${username}) needs a new password before it can sign in.`,
  );
  const submit = h("button", { type: "submit" }, "Set password");
  const again = h("button", { type: "button", class: "secondary" }, "Start again");
  const form = h("form", { class: "stack", novalidate: true }, pass.wrap, h("div", { class: "actions" }, submit, again));
  view.section.append(form, status);

  again.addEventListener("click", () => showSignIn());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hide(shell.alert);
    if (!password.value) {
      show(shell.alert, "Give a new password.");
      password.focus();
      return;
    }
    submit.disabled = true;
    show(status, "Setting the password…");
    const answer = await cognito("RespondToAuthChallenge", {
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      ClientId: state.config.clientId,
      Session: session,
      ChallengeResponses: { USERNAME: username, NEW_PASSWORD: password.value },
    });
    if (isStale(view.seq)) return;
    submit.disabled = false;
    hide(status);
    if (answer.failure) {
      show(shell.alert, answer.failure);
      return;
    }
    if (answer.type !== undefined) {
      show(shell.alert, `Sign-in failed: ${answer.message}`);
      password.focus();
      return;
    }
    signedIn(answer.data, username);
  });
  view.h2.focus();
}

// Findings and diffs --------------------------------------------------------------------------

// A notice's detail reads `…context [-removed-] {+added+} context…`, changes joined by " | ";
// a long detail may be cut short inside a marker, which then runs to the end.
function isDiff(detail) {
  return /\[-[\s\S]*?-\]|\{\+[\s\S]*?\+\}/.test(detail) || (/^…/.test(detail) && /\[-|\{\+/.test(detail));
}

function parseDiff(detail) {
  const changes = [[]];
  let text = "";
  const flush = () => {
    if (text) changes[changes.length - 1].push({ kind: "text", text });
    text = "";
  };
  let i = 0;
  while (i < detail.length) {
    const removed = detail.startsWith("[-", i);
    if (removed || detail.startsWith("{+", i)) {
      flush();
      const end = detail.indexOf(removed ? "-]" : "+}", i + 2);
      const stop = end === -1 ? detail.length : end;
      changes[changes.length - 1].push({ kind: removed ? "del" : "ins", text: detail.slice(i + 2, stop) });
      i = end === -1 ? detail.length : end + 2;
    } else if (detail.startsWith(" | ", i)) {
      flush();
      changes.push([]);
      i += 3;
    } else {
      text += detail[i];
      i += 1;
    }
  }
  flush();
  return changes.filter((change) => change.length);
}

function renderDiff(detail) {
  const list = h("ul", { class: "diff" });
  for (const change of parseDiff(detail)) {
    const item = h("li");
    for (const part of change) {
      if (part.kind === "text") item.append(part.text);
      else if (part.kind === "del") item.append(h("span", { class: "visually-hidden" }, "removed: "), h("del", {}, part.text));
      else item.append(h("span", { class: "visually-hidden" }, "added: "), h("ins", {}, part.text));
    }
    list.append(item);
  }
  return h("div", { class: "finding-detail" }, h("p", { class: "diff-label" }, "Changed against the registered text:"), list);
}

function renderFinding(finding) {
  const severity = String(finding.severity || "unknown");
  const meta = h(
    "p",
    { class: "finding-meta" },
    "Rule ",
    h("code", {}, String(finding.rule_id || "unknown")),
    ", severity ",
    h("span", { class: `severity severity-${severity.replace(/[^a-z]/g, "")}` }, severity),
  );
  if (finding.pointer) meta.append(", at ", h("code", {}, String(finding.pointer)));
  const item = h("li", { class: "finding" }, h("p", { class: "finding-message" }, String(finding.message || "")), meta);
  if (typeof finding.detail === "string" && finding.detail) {
    item.append(isDiff(finding.detail) ? renderDiff(finding.detail) : h("p", { class: "finding-detail" }, finding.detail));
  }
  return item;
}

function renderFindings(findings) {
  if (!Array.isArray(findings) || findings.length === 0) return h("p", {}, "No findings.");
  return h("ul", { class: "findings" }, findings.map(renderFinding));
}

function mainFinding(findings) {
  if (!Array.isArray(findings) || findings.length === 0) return "none";
  const sorted = [...findings].sort(
    (a, b) => (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9),
  );
  const first = sorted[0];
  const more = findings.length - 1;
  return `${first.message || first.rule_id}${more ? ` (and ${plural(more, "more finding", "more findings")})` : ""}`;
}

// Cleared copies ------------------------------------------------------------------------------

function copyFrame(copy, html, title) {
  const lang = typeof copy.language === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(copy.language)
    ? copy.language
    : "und";
  const frame = document.createElement("iframe");
  // The empty sandbox is set before the content: no scripts, no same origin, no navigation out.
  frame.setAttribute("sandbox", "");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.className = "copy-frame";
  frame.title = title;
  frame.srcdoc =
    `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8">` +
    `<link rel="stylesheet" href="console.css"></head><body class="published-copy">${html}</body></html>`;
  return frame;
}

function noticeItem(notice) {
  const item = h("li");
  if (notice.heading) item.append(h("strong", {}, String(notice.heading)), " ");
  item.append(String(notice.text || ""));
  const facts = [notice.kind, notice.placement ? `at the ${notice.placement}` : null];
  facts.push(notice.delivered ? "as delivered" : "added by clearance");
  if (notice.replaces === "byline") facts.push("replaces the byline");
  item.append(" ", h("span", { class: "muted" }, `(${facts.filter(Boolean).join(", ")})`));
  if (notice.link) item.append(" ", h("span", { class: "muted" }, `link: ${notice.link}`));
  return item;
}

function renderCopy(copy, title) {
  const box = h("div", { class: "copy" });
  if (!copy || typeof copy !== "object") {
    box.append(h("p", {}, "The copy is not available."));
    return box;
  }
  const headlines = Array.isArray(copy.headlines) ? copy.headlines : [];
  const headline = (headlines.find((x) => x && x.role === "main") || headlines[0] || {}).value;
  box.append(dl([
    ["Headline", headline || "(no headline)"],
    ["Byline", copy.by || "none"],
  ]));
  const bodies = Array.isArray(copy.bodies) ? copy.bodies : [];
  const htmlBody = bodies.find((b) => b && b.contentType === "text/html" && typeof b.value === "string");
  const textBody = bodies.find((b) => b && b.contentType === "text/plain" && typeof b.value === "string");
  if (htmlBody) box.append(copyFrame(copy, htmlBody.value, title));
  else if (textBody) box.append(h("pre", { class: "copy-text" }, textBody.value));
  else box.append(h("p", {}, "The copy has no body."));

  const clearance = copy.clearance && typeof copy.clearance === "object" ? copy.clearance : {};
  const notices = Array.isArray(clearance.notices) ? clearance.notices : [];
  const dropped = Array.isArray(clearance.dropped) ? clearance.dropped : [];
  const sources = Array.isArray(copy.infoSources) ? copy.infoSources.map((s) => s && s.name).filter(Boolean) : [];
  const policy = clearance.policy && typeof clearance.policy === "object" ? clearance.policy : null;
  box.append(
    h("h4", {}, "Credit and notices"),
    dl([
      ["Copyright notice", copy.copyrightNotice],
      ["Copyright holder", copy.copyrightHolder],
      ["Usage terms", copy.usageTerms],
      ["Sources", sources.length ? sources.join(", ") : null],
      ["Notices attached", notices.length ? h("ul", { class: "plain" }, notices.map(noticeItem)) : "none"],
      [
        "Media left out",
        dropped.length
          ? h("ul", { class: "plain" }, dropped.map((d) => h("li", {}, `${d.name}: ${d.reason}`)))
          : null,
      ],
      ["Terms", policy ? `${policy.id} version ${policy.version}` : null],
      ["Cleared at", clearance.cleared_at ? timeEl(clearance.cleared_at) : null],
      ["Source", clearance.source_url || null],
    ]),
  );
  return box;
}

// Queue ---------------------------------------------------------------------------------------

function heldHash(article, version) {
  return `#held/${encodeURIComponent(article)}/${encodeURIComponent(version)}`;
}

function showQueue() {
  const view = newView("queue", "Held for review");
  const status = statusRegion();
  const holder = h("div");
  const more = h("button", { type: "button", class: "more", hidden: true }, "More");
  view.section.append(status, holder, more);
  view.h2.focus();

  let tbody = null;
  let next = null;
  let count = 0;

  async function load(token) {
    more.disabled = true;
    show(status, token ? "Loading more held versions…" : "Loading the queue…");
    let data;
    try {
      data = await api("/review", { params: { limit: PAGE_SIZE, next: token } });
    } catch (error) {
      if (isStale(view.seq)) return;
      more.disabled = false;
      hide(status);
      fail(view, error);
      return;
    }
    if (isStale(view.seq)) return;
    const held = Array.isArray(data.held) ? data.held : [];
    next = data.next || null;
    if (!tbody && held.length === 0) {
      show(status, "Nothing is held for a person.");
      more.hidden = true;
      return;
    }
    if (!tbody) {
      const table = tableWrap("Versions held for a person, oldest first", ["Provider", "Headline", "Held for", "Findings"]);
      tbody = table.tbody;
      holder.append(table.wrap);
    }
    let firstLink = null;
    for (const item of held) {
      const link = h("a", { href: heldHash(item.article, item.version) }, item.headline || "(no headline)");
      firstLink = firstLink || link;
      const findings = Array.isArray(item.findings) ? item.findings : [];
      tbody.append(
        h(
          "tr",
          {},
          h("td", {}, item.provider || "unknown"),
          h("td", {}, link, h("span", { class: "muted block" }, `version ${item.version}`)),
          h("td", {}, h("time", { datetime: item.held_since || null }, heldFor(item.held_since))),
          h("td", {}, findings.length ? h("ul", { class: "plain" }, findings.map((f) => h("li", {}, f.message || f.rule_id))) : "none"),
        ),
      );
    }
    count += held.length;
    show(status, `Showing ${plural(count, "held version", "held versions")}${next ? "; there are more." : "."}`);
    more.hidden = !next;
    more.disabled = false;
    if (token && firstLink) firstLink.focus();
  }

  more.addEventListener("click", () => {
    hide(shell.alert);
    if (next) load(next);
  });
  load(null);
}

// Held version --------------------------------------------------------------------------------

function showHeld(article, version) {
  const view = newView("held", `Held version ${version}`);
  const back = h("button", { type: "button", class: "secondary" }, "Back to the queue");
  back.addEventListener("click", () => go("#queue"));
  const status = statusRegion();
  const body = h("div");
  view.section.append(h("div", { class: "actions" }, back), status, body);
  show(status, "Loading the held version…");
  load();

  async function load() {
    let data;
    try {
      data = await api(`/review/articles/${encodeURIComponent(article)}`, { params: { version } });
    } catch (error) {
      if (isStale(view.seq)) return;
      hide(status);
      fail(view, error);
      view.h2.focus();
      return;
    }
    if (isStale(view.seq)) return;
    hide(status);
    setHeading(view, data.headline || "(no headline)");
    render(data);
    view.h2.focus();
  }

  function render(data) {
    const findings = Array.isArray(data.findings) ? data.findings : [];
    body.append(
      dl([
        ["Provider", data.provider || "unknown"],
        ["Version", String(data.version ?? version)],
        ["Held for", data.held_since ? h("span", {}, heldFor(data.held_since), " (since ", timeEl(data.held_since), ")") : null],
        ["Article", data.uri || data.article],
      ]),
      h("section", { class: "part" }, h("h3", {}, "Findings"), renderFindings(findings)),
    );

    const copyPart = h("section", { class: "part" }, h("h3", {}, "The copy that would be published"));
    if (data.copy) copyPart.append(renderCopy(data.copy, "The copy that would be published"));
    else {
      copyPart.append(
        h("p", { class: "problem" }, data.copy_problem ? `No copy can be shown: ${data.copy_problem}` : "No copy was prepared for this version."),
      );
    }
    body.append(copyPart);

    if (data.previous) {
      const n = data.previous.version;
      body.append(
        h(
          "section",
          { class: "part" },
          h("h3", {}, "Previous published version"),
          h("p", {}, `Version ${n}, as it is published now.`),
          renderCopy(data.previous.copy, `Previous published version ${n}`),
        ),
      );
    }
    body.append(decisionForm(view, data.article || article, String(data.version ?? version)));
  }
}

function decisionForm(view, article, version) {
  const reason = h("textarea", { name: "reason", rows: "4", maxlength: "2000", required: true });
  const reasonField = field("decision-reason", "Reason", reason, "Why you approve or reject this version; it is kept in the audit record.");
  const alert = alertRegion();
  const status = statusRegion("result");
  status.setAttribute("tabindex", "-1");
  const approve = h("button", { type: "button", class: "approve" }, "Approve");
  const reject = h("button", { type: "button", class: "reject" }, "Reject");
  const form = h("form", { class: "stack decision", novalidate: true }, reasonField.wrap, alert, h("div", { class: "actions" }, approve, reject), status);
  form.addEventListener("submit", (event) => event.preventDefault());

  async function decide(verdict, button) {
    hide(alert);
    hide(status);
    hide(shell.alert);
    const text = reason.value;
    if (!text.trim()) {
      reason.setAttribute("aria-invalid", "true");
      show(alert, "Give a reason for the decision.");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    approve.disabled = true;
    reject.disabled = true;
    show(status, verdict === "approve" ? "Sending the approval…" : "Sending the rejection…");
    let data;
    try {
      data = await api(`/review/articles/${encodeURIComponent(article)}`, {
        method: "POST",
        body: { version, verdict, reason: text },
      });
    } catch (error) {
      if (isStale(view.seq)) return;
      approve.disabled = false;
      reject.disabled = false;
      hide(status);
      fail(view, error, alert);
      button.focus();
      return;
    }
    if (isStale(view.seq)) return;
    const who = data.reviewer || "you";
    const v = data.version ?? version;
    let words;
    if (data.verdict === "reject") words = `Rejected by ${who}: version ${v} stays down.`;
    else if (data.status === "published") words = `Approved by ${who}: version ${v} is now published.`;
    else if (data.status) words = `Approved by ${who}: version ${v} is now ${data.status}.`;
    else words = `Approved by ${who}: version ${v}.`;
    // The version is decided; the buttons stay off so it is not sent twice.
    show(status, words);
    status.focus();
  }

  approve.addEventListener("click", () => decide("approve", approve));
  reject.addEventListener("click", () => decide("reject", reject));
  return h("section", { class: "part" }, h("h3", {}, "Decision"), form);
}

// Kills ---------------------------------------------------------------------------------------

function dateFilters(values, names, submitLabel) {
  const fields = {};
  const form = h("form", { class: "filters", novalidate: true });
  for (const [name, label, control] of names) {
    control.name = name;
    control.value = values[name] || "";
    const f = field(`filter-${name}`, label, control);
    fields[name] = f;
    form.append(f.wrap);
  }
  form.append(h("div", { class: "actions" }, h("button", { type: "submit" }, submitLabel)));
  return { form, fields };
}

function clearFieldErrors(fields) {
  for (const f of Object.values(fields)) {
    hide(f.error);
    f.control.removeAttribute("aria-invalid");
    f.control.removeAttribute("aria-describedby");
  }
}

// A 400 naming one of the form's fields is said next to that field.
function fieldError(fields, error) {
  const name = error instanceof ApiError ? error.parameter : null;
  if (!name || !Object.prototype.hasOwnProperty.call(fields, name)) return false;
  const f = fields[name];
  show(f.error, errorContent(error));
  f.control.setAttribute("aria-invalid", "true");
  f.control.setAttribute("aria-describedby", f.error.id);
  f.control.focus();
  return true;
}

function showKills() {
  const view = newView("kills", "Kills");
  const filters = dateFilters(state.killFilters, [
    ["from", "From", h("input", { type: "date" })],
    ["to", "To", h("input", { type: "date" })],
  ], "Filter");
  const status = statusRegion();
  const holder = h("div");
  view.section.append(filters.form, status, holder);
  view.h2.focus();

  filters.form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const name of ["from", "to"]) state.killFilters[name] = filters.fields[name].control.value;
    load();
  });

  async function load() {
    hide(shell.alert);
    clearFieldErrors(filters.fields);
    show(status, "Loading the kills…");
    const seq = view.seq;
    let data;
    try {
      data = await api("/audit/kills", { params: state.killFilters });
    } catch (error) {
      if (isStale(seq)) return;
      hide(status);
      if (!(error instanceof SessionEnded) && fieldError(filters.fields, error)) return;
      fail(view, error);
      return;
    }
    if (isStale(seq)) return;
    holder.replaceChildren();
    const kills = Array.isArray(data.kills) ? data.kills : [];
    if (kills.length === 0) {
      show(status, "No kills in this period.");
      return;
    }
    const table = tableWrap("Kills received, and whether every copy went in time", [
      "Provider", "Article", "Received", "Deadline", "Completed", "Copies removed", "Verdict",
    ]);
    for (const kill of kills) {
      const remaining = Array.isArray(kill.remaining) ? kill.remaining : [];
      const removed = Number.isInteger(kill.removed) ? kill.removed : 0;
      const verdict = String(kill.verdict || "unknown");
      const verdictCell = h("td", {}, h("span", { class: `verdict verdict-${verdict.replace(/[^a-z]/g, "")}` }, verdict));
      if (remaining.length) {
        verdictCell.append(
          h("span", { class: "block" }, `${plural(remaining.length, "copy remains", "copies remain")}:`),
          h("ul", { class: "plain" }, remaining.map((key) => h("li", {}, h("code", {}, String(key))))),
        );
      }
      const articleCell = kill.article
        ? h("a", { href: `#record/${encodeURIComponent(kill.article)}` }, kill.article)
        : kill.uri || "unknown";
      table.tbody.append(
        h(
          "tr",
          {},
          h("td", {}, kill.provider || "unknown"),
          h("td", { class: "wrap" }, articleCell, kill.uri && kill.article ? h("span", { class: "muted block" }, kill.uri) : null),
          h("td", {}, timeEl(kill.received)),
          h("td", {}, kill.deadline ? timeEl(kill.deadline) : "none"),
          h("td", {}, kill.completed ? timeEl(kill.completed) : "not yet"),
          h("td", {}, String(removed)),
          verdictCell,
        ),
      );
    }
    holder.append(table.wrap);
    show(status, `Showing ${plural(kills.length, "kill", "kills")}.`);
  }

  load();
}

// Audit ---------------------------------------------------------------------------------------

const OUTCOMES = ["cleared", "held", "rejected", "withdrawn"];

function showAudit() {
  const view = newView("audit", "Audit");
  const banner = h("div", { class: "banner", role: "status", hidden: true });
  const bannerAlert = alertRegion();

  const outcome = h("select", {}, h("option", { value: "" }, "any"), OUTCOMES.map((o) => h("option", { value: o }, o)));
  const filters = dateFilters(state.auditFilters, [
    ["provider", "Provider", h("input", { type: "text", autocomplete: "off", spellcheck: "false" })],
    ["outcome", "Outcome", outcome],
    ["rule", "Rule", h("input", { type: "text", autocomplete: "off", spellcheck: "false" })],
    ["from", "From", h("input", { type: "date" })],
    ["to", "To", h("input", { type: "date" })],
  ], "Filter");
  const status = statusRegion();
  const holder = h("div");
  const more = h("button", { type: "button", class: "more", hidden: true }, "More");
  view.section.append(banner, bannerAlert, filters.form, status, holder, more);
  view.h2.focus();

  let tbody = null;
  let next = null;
  let count = 0;
  let run = 0;
  // The period the banner answers for: verifying reads every digest and record of it, so it
  // is done again only when the dates change, not for every provider, outcome or rule.
  let verified = null;
  let checks = 0;

  filters.form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const name of Object.keys(state.auditFilters)) {
      state.auditFilters[name] = filters.fields[name].control.value.trim();
    }
    start();
  });
  more.addEventListener("click", () => {
    hide(shell.alert);
    if (next) load(next, run);
  });

  function start() {
    run += 1;
    tbody = null;
    next = null;
    count = 0;
    holder.replaceChildren();
    more.hidden = true;
    hide(shell.alert);
    clearFieldErrors(filters.fields);
    const period = `${state.auditFilters.from}|${state.auditFilters.to}`;
    if (period !== verified) {
      verified = period;
      verify();
    }
    load(null, run);
  }

  async function verify() {
    checks += 1;
    const mine = checks;
    hide(bannerAlert);
    banner.className = "banner";
    show(banner, "Checking the log…");
    let data;
    try {
      data = await api("/audit/verification", { params: { from: state.auditFilters.from, to: state.auditFilters.to } });
    } catch (error) {
      if (isStale(view.seq) || mine !== checks) return;
      verified = null;
      hide(banner);
      if (error instanceof SessionEnded) return;
      show(bannerAlert, `The log could not be verified: ${error.message}`);
      return;
    }
    if (isStale(view.seq) || mine !== checks) return;
    const summary = data.summary || `${data.verified_records ?? 0} records and ${data.verified_digests ?? 0} digests checked`;
    if (data.ok) {
      banner.className = "banner banner-ok";
      const parts = [h("p", {}, `Verified: ${summary}`)];
      if (data.not_yet_digested) {
        parts.push(h("p", { class: "muted" }, `${plural(data.not_yet_digested, "record is", "records are")} not yet digested.`));
      }
      show(banner, parts);
    } else {
      banner.className = "banner banner-bad";
      const problems = Array.isArray(data.problems) ? data.problems : [];
      show(banner, [
        h("p", {}, `Not verified: ${summary}`),
        problems.length
          ? h("ul", {}, problems.map((p) => h("li", {}, h("strong", {}, String(p.kind || "problem")), p.key ? ` ${p.key}` : "", `: ${p.message || ""}`)))
          : null,
      ]);
    }
  }

  async function load(token, mine) {
    more.disabled = true;
    show(status, token ? "Loading more decisions…" : "Loading the decisions…");
    let data;
    try {
      data = await api("/audit", { params: { ...state.auditFilters, limit: PAGE_SIZE, next: token } });
    } catch (error) {
      if (isStale(view.seq) || mine !== run) return;
      more.disabled = false;
      hide(status);
      if (!(error instanceof SessionEnded) && fieldError(filters.fields, error)) return;
      fail(view, error);
      return;
    }
    if (isStale(view.seq) || mine !== run) return;
    const decisions = Array.isArray(data.decisions) ? data.decisions : [];
    const unsealed = data.unsealed && typeof data.unsealed === "object" ? data.unsealed : {};
    next = data.next || null;
    if (!tbody && decisions.length === 0) {
      show(status, "No decisions match these filters.");
      more.hidden = true;
      return;
    }
    if (!tbody) {
      const table = tableWrap("Decisions, newest first", ["Decided at", "Provider", "Outcome", "Headline", "Main finding", "Sealed"]);
      tbody = table.tbody;
      holder.append(table.wrap);
    }
    let firstLink = null;
    for (const record of decisions) {
      const art = record.article && typeof record.article === "object" ? record.article : {};
      const title = art.headline || "(no headline)";
      let headline = title;
      if (art.id) {
        headline = h("a", { href: `#record/${encodeURIComponent(art.id)}` }, title);
        firstLink = firstLink || headline;
      }
      const seal = sealedColumn(unsealed[record.decision_id]);
      tbody.append(
        h(
          "tr",
          {},
          h("td", {}, timeEl(record.decided_at)),
          h("td", {}, record.provider || "none"),
          h("td", {}, h("span", { class: `outcome outcome-${String(record.outcome).replace(/[^a-z]/g, "")}` }, String(record.outcome || "unknown"))),
          h("td", {}, headline, art.version ? h("span", { class: "muted block" }, `version ${art.version}`) : null),
          h("td", {}, mainFinding(record.findings)),
          h("td", {}, h("span", { class: `seal ${seal.cls}` }, seal.text)),
        ),
      );
    }
    count += decisions.length;
    show(status, `Showing ${plural(count, "decision", "decisions")}${next ? "; there are more." : "."}`);
    more.hidden = !next;
    more.disabled = false;
    if (token && firstLink) firstLink.focus();
  }

  start();
}

// Record --------------------------------------------------------------------------------------

function sealContent(seal) {
  if (!seal || typeof seal !== "object") return "unknown";
  const stateName = String(seal.state || "unknown");
  const words = SEAL_WORDS[stateName] || stateName;
  const box = h(
    "div",
    { class: `seal-state ${QUIET_SEALS.has(stateName) ? "seal-ok" : "seal-bad"}` },
    h("p", {}, h("strong", {}, words)),
  );
  if (seal.message) box.append(h("p", { class: "muted wrap" }, String(seal.message)));
  const diffs = Array.isArray(seal.differences) ? seal.differences : [];
  if (diffs.length) {
    box.append(
      h(
        "ul",
        { class: "plain" },
        diffs.map((d) =>
          h(
            "li",
            { class: "wrap" },
            h("code", {}, d.field || "(the bytes)"),
            `: sealed ${JSON.stringify(d.sealed)}, stored ${JSON.stringify(d.stored)}`,
          ),
        ),
      ),
    );
  }
  return box;
}

function eventWords(event) {
  if (!event || typeof event !== "object") return null;
  const parts = [event.kind];
  if (event.timer) parts.push(`timer ${event.timer}`);
  if (event.by) parts.push(`by ${event.by}`);
  if (event.reason) parts.push(`reason ${event.reason}`);
  return parts.filter(Boolean).join(", ");
}

function showRecord(article) {
  const view = newView("record", `Record of article ${article}`);
  const back = h("button", { type: "button", class: "secondary" }, "Back to the audit");
  back.addEventListener("click", () => go("#audit"));
  const status = statusRegion();
  const body = h("div");
  view.section.append(h("div", { class: "actions" }, back), status, body);
  show(status, "Loading the record…");
  load();

  async function load() {
    let data;
    try {
      data = await api(`/audit/articles/${encodeURIComponent(article)}`);
    } catch (error) {
      if (isStale(view.seq)) return;
      hide(status);
      fail(view, error);
      view.h2.focus();
      return;
    }
    if (isStale(view.seq)) return;
    const decisions = Array.isArray(data.decisions) ? data.decisions : [];
    const missing = Array.isArray(data.missing) ? data.missing : [];
    const named = [...decisions].reverse().find((d) => d.article && d.article.headline);
    setHeading(view, `Record of ${named ? named.article.headline : `article ${article}`}`);
    const alarming = decisions.filter((d) => d.seal && !QUIET_SEALS.has(d.seal.state)).length + missing.length;
    show(
      status,
      `${plural(decisions.length, "decision", "decisions")}` +
        (missing.length ? `, ${missing.length} missing from the log` : "") +
        (alarming ? `; ${plural(alarming, "needs", "need")} attention.` : "; none needs attention."),
    );
    for (const record of decisions) body.append(renderRecord(record));
    if (missing.length) {
      body.append(
        h(
          "section",
          { class: "part" },
          h("h3", {}, "Records missing from the log"),
          h(
            "ul",
            { class: "plain" },
            missing.map((m) => h("li", { class: "record-missing" }, h("p", {}, h("code", {}, String(m.key || "")), " decided at ", timeEl(m.decided_at)), sealContent(m.seal))),
          ),
        ),
      );
    }
    view.h2.focus();
  }
}

function renderRecord(record) {
  const art = record.article && typeof record.article === "object" ? record.article : {};
  const policy = record.policy && typeof record.policy === "object" ? record.policy : null;
  const review = record.review && typeof record.review === "object" ? record.review : null;
  const removed = Array.isArray(record.removed) ? record.removed : null;
  return h(
    "section",
    { class: "part record" },
    h("h3", {}, `${formatTime(record.decided_at)}: ${record.outcome || "unknown"}`),
    dl([
      ["Decided at", timeEl(record.decided_at)],
      ["Outcome", h("span", { class: `outcome outcome-${String(record.outcome).replace(/[^a-z]/g, "")}` }, String(record.outcome || "unknown"))],
      ["Event", eventWords(record.event)],
      ["Version", art.version],
      ["Headline", art.headline],
      ["Provider", record.provider],
      ["Terms", policy ? `${policy.id} version ${policy.version}` : null],
      ["Findings", renderFindings(record.findings)],
      ["Review", review ? `Reviewed by ${review.reviewer}: ${review.verdict} — ${review.reason}` : null],
      ["Copies removed", removed ? String(removed.length) : null],
      ["Deadline", record.deadline ? timeEl(record.deadline) : null],
      ["Seal", sealContent(record.seal)],
      ["Decision", h("code", { class: "wrap" }, String(record.decision_id || ""))],
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Routing: the view lives in the hash so reload and the back button work.

function parseHash(hash) {
  const parts = hash.replace(/^#/, "").split("/");
  let decoded;
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
  const [name, a, b] = decoded;
  if (name === "queue" && parts.length === 1) return { name };
  if (name === "kills" && parts.length === 1) return { name };
  if (name === "audit" && parts.length === 1) return { name };
  if (name === "held" && parts.length === 3 && a && b) return { name, article: a, version: b };
  if (name === "record" && parts.length === 2 && a) return { name, article: a };
  return null;
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  if (!state.config) return;
  if (!state.token) {
    if (state.view !== "signin" && state.view !== "newpassword") showSignIn();
    return;
  }
  if (expired(state.claims)) {
    endSession();
    return;
  }
  let target = parseHash(location.hash);
  if (!target) {
    history.replaceState(null, "", "#queue");
    target = { name: "queue" };
  }
  if (target.name === "queue") showQueue();
  else if (target.name === "kills") showKills();
  else if (target.name === "audit") showAudit();
  else if (target.name === "held") showHeld(target.article, target.version);
  else if (target.name === "record") showRecord(target.article);
}

// ---------------------------------------------------------------------------------------------
// Start.

async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (!response.ok) return null;
    const config = await response.json();
    if (!config || typeof config !== "object") return null;
    if (typeof config.clientId !== "string" || !config.clientId) return null;
    if (typeof config.cognitoEndpoint !== "string" || !config.cognitoEndpoint) return null;
    return {
      region: config.region,
      userPoolId: config.userPoolId,
      clientId: config.clientId,
      cognitoEndpoint: config.cognitoEndpoint,
      api: typeof config.api === "string" ? config.api : "",
    };
  } catch {
    return null;
  }
}

async function boot() {
  shell.signOut.addEventListener("click", signOut);
  // A nav link to the view already shown reloads it rather than doing nothing.
  shell.nav.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[href^='#']") : null;
    if (link && link.getAttribute("href") === location.hash) {
      event.preventDefault();
      route();
    }
  });
  window.addEventListener("hashchange", route);

  const config = await loadConfig();
  if (!config) {
    show(shell.alert, NOT_CONFIGURED);
    return;
  }
  state.config = config;

  const stored = readStoredToken();
  if (stored) {
    const claims = decodeToken(stored);
    if (claims && !expired(claims)) {
      startSession(stored, claims);
      route();
      return;
    }
    storeToken(null);
    showSignIn();
    if (claims) show(shell.alert, SESSION_ENDED);
    return;
  }
  showSignIn();
}

boot();
