// picket Observatory: a small single-page app over the /v1 query API.
// Everything the API returns is rendered as text nodes (never as HTML):
// item text is content an attacker may have written.
(function () {
  "use strict";

  var KEY = "picket.apiKey";
  var SVGNS = "http://www.w3.org/2000/svg";
  var view = document.getElementById("view");

  // ---- DOM helpers ----

  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "onclick" || k === "onchange" || k === "onsubmit") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = String(v);
      else el.setAttribute(k, v === true ? "" : String(v));
    });
  }

  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    if (typeof c === "string" || typeof c === "number") { el.appendChild(document.createTextNode(String(c))); return; }
    el.appendChild(c);
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  // ---- formatting ----

  function ms(ns) {
    if (!ns) return "0 ms";
    var v = ns / 1e6;
    return (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)) + " ms";
  }

  function dur(ns) {
    var sec = Math.round((ns || 0) / 1e9);
    if (sec < 60) return sec + "s";
    if (sec < 3600) return Math.floor(sec / 60) + "m " + (sec % 60) + "s";
    return Math.floor(sec / 3600) + "h " + Math.floor((sec % 3600) / 60) + "m";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return String(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function hhmm(iso, withDay) {
    var d = new Date(iso);
    var t = pad(d.getHours()) + ":" + pad(d.getMinutes());
    return withDay ? pad(d.getMonth() + 1) + "/" + pad(d.getDate()) + " " + t : t;
  }

  function decisionBadge(dec, would) {
    var out = [];
    var d = dec || "pending";
    out.push(h("span", { "class": "badge " + d, "data-decision": d }, d));
    if (would && d !== "block") out.push(" ", h("span", { "class": "badge would", title: "policy would block (monitor mode or async event)" }, "would block"));
    return out;
  }

  function sevBadge(sev) {
    if (!sev) return h("span", { "class": "muted" }, "–");
    return h("span", { "class": "sev " + sev }, sev);
  }

  function link(href, text) { return h("a", { href: href }, text); }

  // ---- API ----

  function apiKey() { return sessionStorage.getItem(KEY) || ""; }

  function AuthError() { this.message = "unauthorized"; }

  function api(path) {
    return fetch(path, { headers: { "Authorization": "Bearer " + apiKey(), "Accept": "application/json" }, credentials: "omit", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) throw new AuthError();
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
          return body;
        });
      });
  }

  function apiPost(path, body) {
    return fetch(path, {
      method: "POST", body: JSON.stringify(body), credentials: "omit", cache: "no-store",
      headers: { "Authorization": "Bearer " + apiKey(), "Accept": "application/json", "Content-Type": "application/json" }
    }).then(function (r) {
      if (r.status === 401 || r.status === 403) throw new AuthError();
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (!r.ok) throw new Error((b && b.error) || ("HTTP " + r.status));
        return b;
      });
    });
  }

  function qs(obj) {
    var parts = [];
    Object.keys(obj).forEach(function (k) {
      if (obj[k] !== "" && obj[k] !== undefined && obj[k] !== null) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(obj[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  // ---- login ----

  var loginSection = document.getElementById("login");
  var nav = document.getElementById("nav");

  function showLogin(msg) {
    sessionStorage.removeItem(KEY);
    nav.hidden = true;
    clear(view);
    loginSection.hidden = false;
    var err = document.getElementById("login-error");
    err.hidden = !msg;
    err.textContent = msg || "";
    document.getElementById("api-key").focus();
  }

  document.getElementById("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("api-key");
    var k = input.value.trim();
    if (!k) return;
    sessionStorage.setItem(KEY, k);
    api("/v1/stats?since=1h&bucket=1h").then(function () {
      input.value = "";
      loginSection.hidden = true;
      nav.hidden = false;
      if (!location.hash || location.hash === "#/" || location.hash === "#/login") location.hash = "#/overview";
      else route();
    }).catch(function (err) {
      showLogin(err instanceof AuthError ? "That key was refused." : "Could not reach picket: " + err.message);
    });
  });

  document.getElementById("logout").addEventListener("click", function () { showLogin(""); location.hash = "#/login"; });

  // ---- routing ----

  var routes = [
    [/^#\/overview$/, overview],
    [/^#\/sessions(?:\?.*)?$/, sessions],
    [/^#\/sessions\/(.+)$/, sessionView],
    [/^#\/events(?:\?.*)?$/, events],
    [/^#\/events\/(.+)$/, eventView],
    [/^#\/threats(?:\?.*)?$/, threats],
    [/^#\/detectors$/, detectors],
    [/^#\/replay$/, replay],
    [/^#\/usage(?:\?.*)?$/, usage]
  ];

  function route() {
    if (!apiKey()) { showLogin(""); return; }
    loginSection.hidden = true;
    nav.hidden = false;
    var hash = location.hash || "#/overview";
    if (hash === "#/login" || hash === "#/") hash = "#/overview";
    var page = hash.split("?")[0].split("/")[1];
    Array.prototype.forEach.call(nav.querySelectorAll("a"), function (a) {
      a.classList.toggle("active", a.getAttribute("data-page") === page);
    });
    for (var i = 0; i < routes.length; i++) {
      var m = hash.match(routes[i][0]);
      if (m) {
        clear(view);
        view.setAttribute("data-page", page);
        view.appendChild(h("p", { "class": "loading" }, "Loading…"));
        var arg = m[1] ? decodeURIComponent(m[1]) : undefined;
        routes[i][1](arg).catch(fail);
        return;
      }
    }
    location.hash = "#/overview";
  }

  function fail(err) {
    if (err instanceof AuthError) { showLogin("Your key was refused; sign in again."); return; }
    clear(view);
    view.appendChild(h("p", { "class": "error", id: "view-error" }, "Error: " + err.message));
  }

  function render() {
    clear(view);
    for (var i = 0; i < arguments.length; i++) append(view, arguments[i]);
  }

  window.addEventListener("hashchange", route);

  // ---- charts (SVG) ----

  var W = 640, H = 220, M = { l: 40, r: 10, t: 10, b: 26 };

  // niceMax rounds v up to a maximum that splits into 4 or 5 round steps;
  // for counts (integers) the smallest is 4.
  function niceMax(v, integer) {
    if (integer && v <= 4) return 4;
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 4, 5, 8, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v - 1e-9) return steps[i] * p;
    return 10 * p;
  }

  function ticksFor(max) {
    var m = Math.round(max / Math.pow(10, Math.floor(Math.log10(max))));
    return m === 5 || m === 10 || m === 1 ? 5 : 4;
  }

  function frame(buckets, max, fmt) {
    var g = [];
    var ih = H - M.t - M.b;
    var n = ticksFor(max);
    for (var i = 0; i <= n; i++) {
      var y = M.t + ih - (ih * i) / n;
      g.push(s("line", { "class": "grid", x1: M.l, x2: W - M.r, y1: y, y2: y }));
      g.push(s("text", { x: M.l - 4, y: y + 3, "text-anchor": "end" }, fmt((max * i) / n)));
    }
    g.push(s("line", { "class": "axis", x1: M.l, x2: W - M.r, y1: M.t + ih, y2: M.t + ih }));
    n = buckets.length;
    var every = Math.max(1, Math.ceil(n / 8));
    var multiDay = n > 0 && new Date(buckets[n - 1].start) - new Date(buckets[0].start) > 36 * 3600 * 1000;
    var bw = (W - M.l - M.r) / Math.max(n, 1);
    for (var j = 0; j < n; j += every) {
      g.push(s("text", { x: M.l + bw * j + bw / 2, y: H - 8, "text-anchor": "middle" }, hhmm(buckets[j].start, multiDay)));
    }
    return g;
  }

  function legend(series) {
    return h("div", { "class": "legend" }, series.map(function (x) {
      var sw = h("i", null);
      sw.style.background = x.color; // CSSOM, allowed by the page's CSP (inline style attributes are not)
      return h("span", null, sw, x.label);
    }));
  }

  // stacked bars: series = [{key, label, color, value(bucket)}]
  function barChart(id, title, buckets, series) {
    var max = 0;
    buckets.forEach(function (b) {
      var t = 0;
      series.forEach(function (x) { t += x.value(b); });
      if (t > max) max = t;
    });
    max = niceMax(max, true);
    var ih = H - M.t - M.b;
    var bw = (W - M.l - M.r) / Math.max(buckets.length, 1);
    var bars = [];
    buckets.forEach(function (b, i) {
      var y = M.t + ih;
      series.forEach(function (x) {
        var v = x.value(b);
        if (!v) return;
        var hgt = (ih * v) / max;
        y -= hgt;
        bars.push(s("rect", { x: M.l + bw * i + bw * 0.12, y: y, width: Math.max(bw * 0.76, 1), height: hgt, fill: x.color, "data-series": x.key },
          s("title", null, when(b.start) + " — " + x.label + ": " + v)));
      });
    });
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title }, frame(buckets, max, function (v) { return String(Math.round(v * 100) / 100); }), bars);
    return h("div", { "class": "panel chart", id: id }, h("h2", null, title), svg, legend(series));
  }

  // lines: series = [{label, color, value(bucket)}], values in ns
  function lineChart(id, title, buckets, series) {
    var max = 0;
    buckets.forEach(function (b) { series.forEach(function (x) { max = Math.max(max, x.value(b)); }); });
    max = niceMax(max / 1e6) * 1e6;
    var ih = H - M.t - M.b;
    var bw = (W - M.l - M.r) / Math.max(buckets.length, 1);
    var paths = [];
    series.forEach(function (x) {
      var d = "";
      var dots = [];
      buckets.forEach(function (b, i) {
        var v = x.value(b);
        if (!v) return;
        var px = M.l + bw * i + bw / 2, py = M.t + ih - (ih * v) / max;
        d += (d ? " L" : "M") + px.toFixed(1) + " " + py.toFixed(1);
        dots.push(s("circle", { cx: px, cy: py, r: 2.5, fill: x.color }, s("title", null, when(b.start) + " — " + x.label + ": " + ms(v))));
      });
      if (d) paths.push(s("path", { d: d, fill: "none", stroke: x.color, "stroke-width": 2, "data-series": x.key }));
      paths = paths.concat(dots);
    });
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": title }, frame(buckets, max, function (v) { return String(Math.round(v / 1e4) / 100); }), paths);
    return h("div", { "class": "panel chart", id: id }, h("h2", null, title + " (ms)"), svg, legend(series));
  }

  var COLORS = { allow: "#2e8b57", block: "#c0392b", would: "#e67e22", modify: "#d68910", pending: "#8a96a3" };

  // ---- pages ----

  var ranges = { "1h": "5m", "6h": "15m", "24h": "1h", "7d": "6h", "30d": "24h" };
  var currentRange = "24h";

  function overview() {
    var since = currentRange === "7d" ? "168h" : currentRange === "30d" ? "720h" : currentRange;
    var recent = api("/v1/events" + qs({ limit: 10, since: since, min_severity: "low" }));
    return api("/v1/stats" + qs({ since: since, bucket: ranges[currentRange] })).then(function (st) {
      return recent.then(function (page) { return [st, page.events || []]; });
    }).then(function (both) {
      var st = both[0], latest = both[1];
      var t = st.totals || {};
      var buckets = st.buckets || [];
      var sel = h("select", { id: "range", onchange: function (e) { currentRange = e.target.value; route(); } },
        Object.keys(ranges).map(function (r) { return h("option", { value: r, selected: r === currentRange }, "last " + r); }));
      var cards = h("div", { "class": "cards", id: "totals" },
        card("Events", t.events, "events"), card("Allowed", t.allowed, "allowed"), card("Blocked", t.blocked, "blocked"),
        card("Would block", t.would_block, "would_block"), card("Modified", t.modified, "modified"), card("Pending", t.pending, "pending"),
        card("Latency p50", ms(t.latency_p50_ns), "p50"), card("Latency p99", ms(t.latency_p99_ns), "p99"));
      var decisions = barChart("chart-decisions", "Events over time", buckets, [
        { key: "allowed", label: "allowed", color: COLORS.allow, value: function (b) { return Math.max(0, (b.allowed || 0) - (b.would_block || 0)); } },
        { key: "would_block", label: "would block", color: COLORS.would, value: function (b) { return b.would_block || 0; } },
        { key: "modified", label: "modified", color: COLORS.modify, value: function (b) { return b.modified || 0; } },
        { key: "blocked", label: "blocked", color: COLORS.block, value: function (b) { return b.blocked || 0; } },
        { key: "pending", label: "pending", color: COLORS.pending, value: function (b) { return b.pending || 0; } }
      ]);
      var latency = lineChart("chart-latency", "Verdict latency", buckets, [
        { key: "p50", label: "p50", color: "#2e6fb7", value: function (b) { return b.latency_p50_ns || 0; } },
        { key: "p99", label: "p99", color: "#8e44ad", value: function (b) { return b.latency_p99_ns || 0; } }
      ]);
      var cats = (st.categories || []).map(function (c) {
        function cc(b) { return (b.categories && b.categories[c]) || {}; }
        return barChart("chart-cat-" + c.replace(/[^a-z0-9_-]/gi, "_"), "Category: " + c, buckets, [
          { key: "allowed", label: "allowed", color: COLORS.allow, value: function (b) { var x = cc(b); return Math.max(0, (x.allowed || 0) + (x.modified || 0) - (x.would_block || 0)); } },
          { key: "would_block", label: "would block", color: COLORS.would, value: function (b) { return cc(b).would_block || 0; } },
          { key: "blocked", label: "blocked", color: COLORS.block, value: function (b) { return cc(b).blocked || 0; } }
        ]);
      });
      var catTable = h("table", { id: "category-totals" },
        h("thead", null, h("tr", null, ["Category", "Events", "Allowed", "Modified", "Would block", "Blocked"].map(function (x) { return h("th", null, x); }))),
        h("tbody", null, (st.categories || []).map(function (c) {
          var x = (t.categories || {})[c] || {};
          return h("tr", null, h("td", null, link("#/threats?category=" + encodeURIComponent(c), c)), h("td", null, x.events || 0), h("td", null, x.allowed || 0),
            h("td", null, x.modified || 0), h("td", null, x.would_block || 0), h("td", null, x.blocked || 0));
        })));
      render(h("div", { "class": "toolbar" }, h("h1", null, "Overview"), sel),
        cards,
        h("div", { "class": "grid2" }, decisions, latency),
        h("div", { "class": "panel" }, h("h2", null, "Findings by category"), (st.categories || []).length ? catTable : h("p", { "class": "empty" }, "No findings in this range.")),
        h("div", { "class": "grid2", id: "category-charts" }, cats),
        h("div", { "class": "panel" }, h("h2", null, "Latest events with findings"),
          latest.length ? h("table", { id: "recent-events" },
            h("thead", null, h("tr", null, ["Time", "Type", "Login", "Decision", "Severity", "Message", ""].map(function (x) { return h("th", null, x); }))),
            h("tbody", null, latest.map(function (e) {
              return h("tr", { "data-event": e.id }, h("td", null, when(e.received_at)), h("td", { "class": "mono" }, e.type),
                h("td", null, (e.identity && e.identity.login) || ""), h("td", null, decisionBadge(e.decision || e.status, e.would_block)),
                h("td", null, sevBadge(e.max_severity)), h("td", null, e.message || ""),
                h("td", null, link("#/events/" + encodeURIComponent(e.id), "open")));
            }))) : h("p", { "class": "empty" }, "No findings in this range.")));
    });
  }

  function card(label, n, key) {
    return h("div", { "class": "card", "data-key": key }, h("div", { "class": "n" }, n === undefined ? "0" : String(n)), h("div", { "class": "l" }, label));
  }

  var RANGES = [["1h", "last 1h"], ["24h", "last 24h"], ["168h", "last 7d"], ["720h", "last 30d"], ["all", "all time"], ["custom", "from … to …"]];

  // toLocalInput turns an RFC 3339 time into a datetime-local value in the
  // browser's zone; fromLocalInput turns one back ("" stays "").
  function toLocalInput(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function fromLocalInput(v) {
    var d = new Date(v);
    if (!v || isNaN(d.getTime())) return "";
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  // timeRange is the time control of a list view: a preset (filters.since
  // a duration ago, or "all") or a custom range (filters.since and
  // filters.until as RFC 3339 times). Both live in the hash; go applies a
  // change.
  function timeRange(prefix, filters, go) {
    var preset = !filters.until && RANGES.some(function (r) { return r[0] !== "custom" && r[0] === filters.since; });
    var sel = h("select", { id: prefix + "-range" }, RANGES.map(function (r) {
      return h("option", { value: r[0], selected: preset ? r[0] === filters.since : r[0] === "custom" }, r[1]);
    }));
    var from = h("input", { type: "datetime-local", id: prefix + "-from", value: preset ? "" : toLocalInput(filters.since) });
    var to = h("input", { type: "datetime-local", id: prefix + "-to", value: preset ? "" : toLocalInput(filters.until) });
    sel.addEventListener("change", function () {
      filters.until = "";
      filters.since = sel.value === "custom" ? fromLocalInput(toLocalInput(new Date(Date.now() - 864e5).toISOString())) : sel.value;
      go();
    });
    function set() {
      filters.since = fromLocalInput(from.value) || "all";
      filters.until = fromLocalInput(to.value);
      go();
    }
    from.addEventListener("change", set);
    to.addEventListener("change", set);
    return h("span", { "class": "range" }, h("label", null, "Time ", sel),
      h("span", { "class": "range-custom", hidden: preset }, h("label", null, "from ", from), " ", h("label", null, "to ", to)));
  }

  // rangeQuery is the since/until of a filter set as the API takes them.
  function rangeQuery(filters, q) {
    q.since = filters.since === "all" ? "" : filters.since;
    q.until = filters.until || "";
    return q;
  }

  // Risk levels of the Sessions filter: SessionSummary.risk is 100 when
  // quarantined, plus 10 per level of the worst severity, plus blocks.
  var RISKS = [["", "any"], ["100", "quarantined"], ["50", "critical"], ["40", "high or worse"], ["30", "medium or worse"], ["20", "low or worse"]];

  // sessions lists sessions by risk or recency, filtered by login, agent,
  // risk and time; the filters live in the hash.
  function sessions() {
    var params = hashParams();
    var filters = {
      login: params.login || "", agent: params.agent || "", min_risk: params.min_risk || "",
      since: params.since || "all", until: params.until || "", sort: params.sort === "recent" ? "recent" : "risk"
    };
    var sort = filters.sort;
    var state = { cursor: "" };
    var tbody = h("tbody", null);
    var more = h("button", { type: "button", "class": "more", id: "sessions-more", hidden: true }, "Load more");
    function go() { location.hash = "#/sessions" + qs(filters); }
    function load() {
      var q = rangeQuery(filters, { limit: 50, cursor: state.cursor, sort: sort, login: filters.login, agent: filters.agent, min_risk: filters.min_risk });
      return api("/v1/sessions" + qs(q)).then(function (page) {
        (page.sessions || []).forEach(function (x) {
          tbody.appendChild(h("tr", { "data-session": x.id, "data-risk": String(x.risk || 0) },
            h("td", null, link("#/sessions/" + encodeURIComponent(x.id), x.id),
              x.quarantined ? [" ", h("span", { "class": "badge badge-block quarantined" }, "quarantined")] : null),
            h("td", null, String(x.risk || 0)),
            h("td", null, x.login || ""),
            h("td", { "class": "mono" }, x.user_agent || ""),
            h("td", null, when(x.started)),
            h("td", null, dur(x.duration_ns)),
            h("td", null, String(x.requests)),
            h("td", null, String(x.findings)),
            h("td", null, sevBadge(x.max_severity)),
            h("td", null, decisionBadge(x.last_decision), x.blocked ? [" ", h("span", { "class": "muted" }, x.blocked + " blocked")] : null,
              x.would_block ? [" ", h("span", { "class": "muted" }, x.would_block + " would block")] : null)));
        });
        state.cursor = page.next || "";
        more.hidden = !page.next;
        if (!tbody.firstChild) tbody.appendChild(h("tr", null, h("td", { colspan: 10, "class": "empty" }, "No sessions match.")));
      });
    }
    more.addEventListener("click", function () { load().catch(fail); });
    function field(key, control) {
      control.id = "sess-" + key.replace("_", "-");
      control.addEventListener("change", function () { filters[key] = control.value.trim(); go(); });
      return control;
    }
    var other = {};
    Object.keys(filters).forEach(function (k) { other[k] = filters[k]; });
    other.sort = sort === "risk" ? "recent" : "risk";
    return load().then(function () {
      render(h("div", { "class": "toolbar", id: "session-filters" }, h("h1", null, "Sessions"),
          h("label", null, "Login ", field("login", h("input", { value: filters.login, placeholder: "any", size: 16 }))),
          h("label", null, "Agent ", field("agent", h("input", { value: filters.agent, placeholder: "any, e.g. claude-cli", size: 16 }))),
          h("label", null, "Risk ", field("min_risk", h("select", null, RISKS.map(function (r) { return h("option", { value: r[0], selected: filters.min_risk === r[0] }, r[1]); })))),
          timeRange("sess", filters, go)),
        h("p", { "class": "toolbar" }, "Sorted by ", sort === "risk" ? "risk (quarantined, then severity and blocks)" : "last activity", " · ",
          link("#/sessions" + qs(other), sort === "risk" ? "sort by last activity" : "sort by risk")),
        h("table", { id: "sessions-table" },
          h("thead", null, h("tr", null, ["Session", "Risk", "Login", "Agent", "Started", "Duration", "Requests", "Findings", "Max severity", "Last decision"].map(function (x) { return h("th", null, x); }))),
          tbody),
        more);
    });
  }

  var FRAMEWORKS = [["owasp_llm", "OWASP Top 10 for LLM Applications 2025"], ["atlas", "MITRE ATLAS"], ["attack", "MITRE ATT&CK"], ["cwe", "CWE"]];

  // taxonomyChips shows a finding's framework ids, each with its framework
  // as a tooltip.
  function taxonomyChips(t) {
    if (!t) return h("span", { "class": "muted" }, "–");
    var out = [];
    FRAMEWORKS.forEach(function (fw) {
      (t[fw[0]] || []).forEach(function (id) { out.push(h("span", { "class": "tax tax-" + fw[0], title: fw[1] }, id)); });
    });
    return h("span", { "class": "taxonomy" }, out);
  }

  // evidence is what a finding matched: the command or instruction as kept
  // (secrets inside masked), or the secret's redacted form.
  function evidence(f) {
    if (f.evidence) return h("code", { "class": "evidence", title: "matched text (secrets masked)" }, f.evidence);
    if (f.redacted) return h("code", { "class": "redacted", title: "secret, redacted" }, f.redacted);
    return h("span", { "class": "muted" }, "–");
  }

  // ---- triage ----

  var OPERATOR = "picket.operator";
  var TRIAGE = [["acknowledged", "Acknowledge"], ["false_positive", "False positive"], ["escalated", "Escalate"], ["open", "Reopen"]];

  function triageBadge(state) {
    if (!state || state === "open") return h("span", { "class": "muted tri-state" }, "untriaged");
    return h("span", { "class": "badge tri-" + state + " tri-state" }, state.replace("_", " "));
  }

  // latestTriage returns the current state of finding idx (-1: the event)
  // from an event's marks: a mark on the finding or on the whole event,
  // whichever is newer.
  function latestTriage(marks, idx) {
    var st = "";
    (marks || []).forEach(function (m) { if (m.finding === idx || m.finding === -1) st = m.state; });
    return st;
  }

  // triageControl marks finding idx of event evId (-1: the event); out is
  // where a false positive's allowlist entry is shown.
  function triageControl(evId, idx, current, out) {
    var badge = h("span", null, triageBadge(current));
    var sel = h("select", { "class": "tri-select", "aria-label": "triage" }, TRIAGE.map(function (t) { return h("option", { value: t[0] }, t[1]); }));
    var note = h("input", { "class": "tri-note", placeholder: "note", size: 14, "aria-label": "note" });
    var msg = h("span", { "class": "error tri-error" });
    var btn = h("button", { type: "button", "class": "tri-mark", onclick: function () {
      var who = (document.getElementById("operator").value || "").trim();
      if (!who) { msg.textContent = "Enter your name in “Marking as” first."; document.getElementById("operator").focus(); return; }
      localStorage.setItem(OPERATOR, who);
      var body = { state: sel.value, by: who, note: note.value };
      if (idx >= 0) body.finding = idx;
      msg.textContent = "";
      apiPost("/v1/events/" + encodeURIComponent(evId) + "/triage", body).then(function (ans) {
        clear(badge); badge.appendChild(triageBadge(ans.mark.state));
        badge.appendChild(h("span", { "class": "muted" }, " by " + ans.mark.actor + ", " + when(ans.mark.at)));
        if (ans.allowlist && out) {
          clear(out);
          out.hidden = false;
          out.appendChild(h("div", null, ans.allowlist_exact ? "Paste into the config to allowlist it:" : "No fingerprint: this finding can only be allowlisted by an allow_regex."));
          out.appendChild(h("pre", { "class": "allowlist" }, ans.allowlist));
        }
      }).catch(function (err) { if (err instanceof AuthError) fail(err); else msg.textContent = err.message; });
    } }, "Mark");
    return h("div", { "class": "triage", "data-finding": String(idx) }, badge, h("div", { "class": "tri-form" }, sel, note, btn), msg);
  }

  function operatorField() {
    return h("label", { "class": "operator" }, "Marking as ",
      h("input", { id: "operator", value: localStorage.getItem(OPERATOR) || "", placeholder: "your name", size: 16 }));
  }

  function findingsTable(findings, ev) {
    if (!findings || !findings.length) return h("p", { "class": "muted" }, "No findings.");
    var out = h("div", { "class": "allowlist-out", hidden: true });
    var marks = ev && ev.triage;
    return [h("table", { "class": "findings" },
      h("thead", null, h("tr", null, ["Severity", "Category", "Detector / rule", "Item", "Evidence", "Taxonomy", "Action", "Message", "Triage"].map(function (x) { return h("th", null, x); }))),
      h("tbody", null, findings.map(function (f, i) {
        return h("tr", { "class": f.suppressed ? "suppressed" : "" },
          h("td", null, sevBadge(f.severity)),
          h("td", null, f.category, f.class ? h("div", { "class": "muted" }, f.class) : null),
          h("td", { "class": "mono" }, f.detector + " / " + f.rule),
          h("td", null, "#" + f.item),
          h("td", { "class": "mono" }, evidence(f)),
          h("td", null, taxonomyChips(f.taxonomy)),
          h("td", null, f.action, f.suppressed ? h("div", { "class": "muted" }, "suppressed: " + f.suppressed) : null),
          h("td", null, f.message),
          h("td", null, ev ? triageControl(ev.id, i, latestTriage(marks, i), out) : null));
      }))), out];
  }

  // markedText renders an item's kept text with the findings' spans
  // highlighted (overlaps merged into the first).
  function markedText(text, findings) {
    var spans = (findings || []).filter(function (f) {
      return f.text_span && f.text_span.length === 2 && f.text_span[1] > f.text_span[0] && f.text_span[1] <= text.length;
    }).sort(function (a, b) { return a.text_span[0] - b.text_span[0]; });
    var out = [], pos = 0;
    spans.forEach(function (f) {
      var a = f.text_span[0], b = f.text_span[1];
      if (b <= pos) return;
      if (a < pos) a = pos;
      if (a > pos) out.push(text.slice(pos, a));
      out.push(h("mark", { "class": "m-" + (f.category || "other") + (f.suppressed ? " suppressed" : ""), title: f.detector + " / " + f.rule + (f.message ? ": " + f.message : "") }, text.slice(a, b)));
      pos = b;
    });
    out.push(text.slice(pos));
    return out;
  }

  function eventCard(ev, withSession) {
    var r = ev.result;
    var flagged = {}, byItem = {};
    ((r && r.findings) || []).forEach(function (f) {
      if (!f.suppressed) flagged[f.item] = true;
      (byItem[f.item] = byItem[f.item] || []).push(f);
    });
    var li = h("li", { "class": "event d-" + (r ? r.decision : "pending") + (r && r.would_block && r.decision !== "block" ? " would" : ""), "data-event": ev.id },
      h("div", { "class": "panel" },
        h("div", { "class": "ev-head" },
          h("span", { "class": "t" }, when(ev.received_at)),
          h("span", { "class": "mono" }, ev.type),
          decisionBadge(r ? r.decision : "pending", r && r.would_block),
          r && r.max_severity ? sevBadge(r.max_severity) : null,
          r && r.message ? h("span", null, r.message) : null,
          r ? h("span", { "class": "muted" }, "verdict in " + ms(r.latency_ns)) : null,
          withSession && ev.session_id ? link("#/sessions/" + encodeURIComponent(ev.session_id), "session " + ev.session_id) : null,
          link("#/events/" + encodeURIComponent(ev.id), "event " + ev.id)),
        h("ul", { "class": "items" }, (ev.items || []).map(function (it) {
          return h("li", { "class": flagged[it.index] ? "flagged" : "" },
            h("div", { "class": "ih" }, h("b", null, "#" + it.index + " " + it.kind), it.origin ? h("span", null, it.origin) : null,
              it.tool ? h("span", { "class": "mono" }, it.tool) : null, it.untrusted ? h("span", null, "untrusted") : null,
              h("span", null, it.length + " bytes")),
            it.text ? h("pre", { "class": "item-text" }, markedText(it.text, byItem[it.index])) : h("pre", { "class": "muted" }, "(text not stored: payload mode none)"));
        })),
        r ? findingsTable(r.findings, withSession ? ev : null) : h("p", { "class": "muted" }, "Not evaluated yet."),
        r && r.detectors && r.detectors.length ? runsSummary(r.detectors,
          h("table", { "class": "runs" }, h("thead", null, h("tr", null, ["Detector", "Runtime", "Outcome", "Findings", "Duration"].map(function (x) { return h("th", null, x); }))),
            h("tbody", null, r.detectors.map(function (d) {
              return h("tr", null, h("td", { "class": "mono" }, d.detector), h("td", null, d.runtime || ""),
                h("td", null, h("span", { "class": "badge " + (runOK(d.outcome) ? "ok" : "bad") }, d.outcome), d.error ? h("div", { "class": "muted" }, d.error) : null),
                h("td", null, String(d.findings)), h("td", null, ms(d.duration_ns)));
            })))) : null));
    return li;
  }

  // runOK: a detector that answered, was not needed (no item of its kinds)
  // or was stopped once the verdict was certain did not fail.
  function runOK(outcome) {
    return outcome === "ok" || outcome === "skipped" || outcome === "canceled";
  }

  // runsSummary folds the detector runs of an event under one line; it is
  // open when a detector failed.
  function runsSummary(runs, table) {
    var bad = runs.filter(function (d) { return !runOK(d.outcome); }).length;
    var slowest = runs.reduce(function (m, d) { return Math.max(m, d.duration_ns || 0); }, 0);
    var line = runs.length + " detector" + (runs.length === 1 ? "" : "s") + ", " +
      (bad ? bad + " not ok" : "all ok") + ", slowest " + ms(slowest);
    return h("details", { "class": "runs", open: bad > 0 }, h("summary", null, line), table);
  }

  function sessionView(id) {
    return api("/v1/sessions/" + encodeURIComponent(id)).then(function (se) {
      render(h("p", null, link("#/sessions", "← Sessions")),
        h("h1", null, "Session ", h("span", { "class": "mono", id: "session-id" }, se.id)),
        h("div", { "class": "panel" }, h("dl", { "class": "kv" },
          h("dt", null, "Login"), h("dd", null, se.login || ""),
          h("dt", null, "Agent"), h("dd", { "class": "mono" }, se.user_agent || ""),
          h("dt", null, "Started"), h("dd", null, when(se.started)),
          h("dt", null, "Duration"), h("dd", null, dur(se.duration_ns)),
          h("dt", null, "Requests"), h("dd", null, String(se.requests)),
          h("dt", null, "Findings"), h("dd", null, String(se.findings)),
          h("dt", null, "Max severity"), h("dd", null, sevBadge(se.max_severity)),
          h("dt", null, "Last decision"), h("dd", null, decisionBadge(se.last_decision)))),
        memoryPanel(se),
        se.truncated ? h("p", { "class": "muted" }, "Only the newest events are shown.") : null,
        h("ol", { "class": "timeline", id: "timeline" }, (se.events || []).map(function (ev) {
          var reused = (ev.result && ev.result.findings || []).filter(function (f) { return f.suppressed === "reused"; }).length;
          var fresh = (ev.items || []).filter(function (it) { return it.new; }).length;
          return [h("li", { "class": "muted session-step" }, fresh + " new item" + (fresh === 1 ? "" : "s") + " of " + (ev.items || []).length +
            (reused ? " · " + reused + " finding" + (reused === 1 ? "" : "s") + " reused from earlier steps" : "")), eventCard(ev, false)];
        })));
    });
  }

  // memoryPanel shows what the session remembers: its quarantine (with a
  // lift button), its findings once each with the requests they recurred
  // in (first seen → reused), and the credentials and injected leads it
  // tracks, by label (never a value).
  function memoryPanel(se) {
    var m = se.memory;
    if (!m || !m.state) return null;
    var q = m.state.quarantine;
    var out = [];
    if (q) {
      var lift = h("button", { type: "button", id: "lift-quarantine" }, "Lift quarantine");
      var note = h("input", { id: "lift-reason", placeholder: "why", size: 24 });
      lift.addEventListener("click", function () {
        var by = (document.getElementById("operator") || {}).value || localStorage.getItem(OPERATOR) || "";
        if (!by) { fail(new Error("Say who you are (the name field) before lifting a quarantine.")); return; }
        localStorage.setItem(OPERATOR, by);
        apiPost("/v1/sessions/" + encodeURIComponent(se.id) + "/quarantine/lift", { by: by, reason: note.value })
          .then(function () { return sessionView(se.id); }).catch(fail);
      });
      out.push(h("div", { "class": "panel " + (m.quarantined ? "quarantine-active" : "quarantine-lifted"), id: "quarantine" },
        m.quarantined ? h("strong", null, "Quarantined since " + when(q.since)) : h("strong", null, "Quarantine lifted " + when(q.lifted_at) + " by " + q.lifted_by + (q.lifted_reason ? " (" + q.lifted_reason + ")" : "")),
        h("p", null, q.reason + " — event ", link("#/events/" + encodeURIComponent(q.event), q.event),
          q.until ? " · until " + when(q.until) : "", q.mode === "monitor" ? " · monitor: would block only" : ""),
        m.quarantined ? h("p", null, operatorField(), " ", note, " ", lift) : null));
    }
    out.push(h("h2", null, "Findings in this session (once each)"));
    out.push((m.findings || []).length ? h("table", { "class": "findings", id: "session-findings" },
      h("thead", null, h("tr", null, ["Severity", "Category", "Detector / rule", "Message", "First seen", "Requests", "Last"].map(function (x) { return h("th", null, x); }))),
      h("tbody", null, m.findings.map(function (f) {
        return h("tr", { "class": f.suppressed ? "suppressed" : "" },
          h("td", null, sevBadge(f.severity)), h("td", null, f.category), h("td", { "class": "mono" }, f.detector + " / " + f.rule),
          h("td", null, f.message), h("td", null, "step " + f.first_step + " · ", link("#/events/" + encodeURIComponent(f.first_event), when(f.first_seen))),
          h("td", null, String(f.requests) + (f.requests > 1 ? " (reused " + (f.requests - 1) + "×)" : "")),
          h("td", null, link("#/events/" + encodeURIComponent(f.last_event), when(f.last_seen))));
      }))) : h("p", { "class": "muted" }, "None."));
    if ((m.marks || []).length) {
      out.push(h("details", { id: "session-marks" }, h("summary", null, m.marks.length + " tracked fingerprint" + (m.marks.length === 1 ? "" : "s") + " (credentials and injected leads; values are never kept)"),
        h("ul", null, m.marks.map(function (k) { return h("li", null, k.kind + ": " + k.label + " — step " + k.first_step + ", item " + k.first_item); }))));
    }
    out.push(h("p", { "class": "muted" }, m.state.steps + " steps remembered · " + m.state.items + " judged items" + (m.state.dropped ? " · " + m.state.dropped + " dropped by the bounds" : "")));
    return h("section", { id: "session-memory" }, out);
  }

  function eventView(id) {
    return api("/v1/events/" + encodeURIComponent(id)).then(function (ev) {
      render(h("h1", null, "Event ", h("span", { "class": "mono" }, ev.id)),
        h("div", { "class": "panel" }, h("dl", { "class": "kv" },
          h("dt", null, "Login"), h("dd", null, (ev.identity && ev.identity.login) || ""),
          h("dt", null, "Agent"), h("dd", { "class": "mono" }, (ev.identity && ev.identity.user_agent) || ""),
          h("dt", null, "Model"), h("dd", null, [ev.provider, ev.model].filter(Boolean).join(" / ")),
          h("dt", null, "Request"), h("dd", { "class": "mono" }, ev.request_id || ""),
          h("dt", null, "Triage"), h("dd", { id: "event-triage" }, triageControl(ev.id, -1, latestTriage(ev.triage, -1), null)))),
        h("div", { "class": "toolbar" }, operatorField(),
          (ev.triage || []).length ? h("details", { id: "triage-history" }, h("summary", null, ev.triage.length + " triage mark" + (ev.triage.length === 1 ? "" : "s")),
            h("ul", null, ev.triage.map(function (m) {
              return h("li", null, when(m.at) + " — " + m.actor + ": " + m.state.replace("_", " ") + (m.finding >= 0 ? " (finding #" + m.finding + ")" : " (event)") + (m.note ? " — " + m.note : ""));
            }))) : null),
        h("ol", { "class": "timeline", id: "timeline" }, eventCard(ev, true)));
    });
  }

  function hashParams() {
    var params = {};
    var q = location.hash.split("?")[1];
    if (q) q.split("&").forEach(function (kv) { var p = kv.split("="); params[decodeURIComponent(p[0])] = decodeURIComponent(p[1] || ""); });
    return params;
  }

  // events lists the trail with the API's filters; the filters live in the
  // hash, so a filtered view can be bookmarked.
  function events() {
    var params = hashParams();
    var filters = {
      decision: params.decision || "", would_block: params.would_block || "", type: params.type || "",
      login: params.login || "", category: params.category || "", min_severity: params.min_severity || "", since: params.since || "24h"
    };
    var state = { cursor: "" };
    var tbody = h("tbody", null);
    var more = h("button", { type: "button", "class": "more", id: "events-more", hidden: true }, "Load more");
    function query(extra) {
      var q = {};
      Object.keys(filters).forEach(function (k) { q[k] = filters[k]; });
      if (q.since === "all") q.since = "";
      Object.keys(extra || {}).forEach(function (k) { q[k] = extra[k]; });
      return q;
    }
    function load() {
      return api("/v1/events" + qs(query({ limit: 100, cursor: state.cursor }))).then(function (page) {
        (page.events || []).forEach(function (e) {
          tbody.appendChild(h("tr", { "data-event": e.id, "data-decision": e.decision || e.status },
            h("td", null, when(e.received_at)),
            h("td", { "class": "mono" }, e.type),
            h("td", null, (e.identity && e.identity.login) || ""),
            h("td", null, e.session_id ? link("#/sessions/" + encodeURIComponent(e.session_id), e.session_id) : ""),
            h("td", null, decisionBadge(e.decision || e.status, e.would_block)),
            h("td", null, sevBadge(e.max_severity)),
            h("td", null, e.category || "", e.message ? h("div", { "class": "muted" }, e.message) : null),
            h("td", null, String(e.findings || 0)),
            h("td", null, e.status === "evaluated" ? ms(e.latency_ns) : ""),
            h("td", null, link("#/events/" + encodeURIComponent(e.id), "open"))));
        });
        state.cursor = page.next || "";
        more.hidden = !page.next;
        if (!tbody.firstChild) tbody.appendChild(h("tr", null, h("td", { colspan: 10, "class": "empty" }, "No events match.")));
      });
    }
    more.addEventListener("click", function () { load().catch(fail); });
    function field(id, key, control) {
      control.id = id;
      control.addEventListener("change", function () {
        filters[key] = control.type === "checkbox" ? (control.checked ? "true" : "") : control.value.trim();
        location.hash = "#/events" + qs(filters);
      });
      return control;
    }
    function select(key, options) {
      return h("select", null, options.map(function (o) { return h("option", { value: o[0], selected: filters[key] === o[0] }, o[1]); }));
    }
    function download(format) {
      fetch("/v1/export" + qs({ since: filters.since === "all" ? "0" : filters.since, format: format }),
        { headers: { "Authorization": "Bearer " + apiKey() }, credentials: "omit", cache: "no-store" })
        .then(function (r) {
          if (r.status === 401) throw new AuthError();
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.blob();
        }).then(function (b) {
          var a = h("a", { href: URL.createObjectURL(b), download: "picket-events." + format });
          document.body.appendChild(a);
          a.click();
          setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        }).catch(fail);
    }
    var wb = h("input", { type: "checkbox", checked: filters.would_block === "true" });
    var toolbar = h("div", { "class": "toolbar", id: "event-filters" }, h("h1", null, "Events"),
      h("label", null, "Since ", field("ev-since", "since", select("since", [["1h", "1h"], ["24h", "24h"], ["168h", "7d"], ["720h", "30d"], ["all", "all"]]))),
      h("label", null, "Decision ", field("ev-decision", "decision", select("decision", [["", "any"], ["allow", "allow"], ["block", "block"], ["modify", "modify"], ["pending", "pending"]]))),
      h("label", null, field("ev-would", "would_block", wb), " would block"),
      h("label", null, "Type ", field("ev-type", "type", select("type", [["", "any"], ["pre_request", "pre_request"], ["tool_call_entire_request", "tool_call_entire_request"], ["entire_request", "entire_request"]]))),
      h("label", null, "Min severity ", field("ev-severity", "min_severity", select("min_severity", [["", "any"], ["low", "low"], ["medium", "medium"], ["high", "high"], ["critical", "critical"]]))),
      h("label", null, "Category ", field("ev-category", "category", h("input", { value: filters.category, placeholder: "any", size: 10 }))),
      h("label", null, "Login ", field("ev-login", "login", h("input", { value: filters.login, placeholder: "any", size: 16 }))),
      h("button", { type: "button", id: "export-jsonl", onclick: function () { download("jsonl"); } }, "Export JSONL"),
      h("button", { type: "button", id: "export-csv", onclick: function () { download("csv"); } }, "Export CSV"));
    return load().then(function () {
      render(toolbar,
        h("table", { id: "events-table" },
          h("thead", null, h("tr", null, ["Time", "Type", "Login", "Session", "Decision", "Severity", "Category", "Findings", "Latency", ""].map(function (x) { return h("th", null, x); }))),
          tbody),
        more);
    });
  }

  // CATEGORIES are the finding categories of picket's own detectors and
  // of session memory (host/taxonomy.Categories; a test keeps the two
  // lists equal). A detector's own category still filters from the hash.
  var CATEGORIES = [["secrets", "secrets"], ["injection", "injection"], ["command", "command"], ["exfiltration", "exfiltration"],
    ["injection_chain", "injection chain"], ["quarantine", "quarantine"], ["detector_failure", "detector failure"]];

  // threats lists findings with facets (category, severity, decision,
  // triage, detector, tool, login, agent) over a time range; the filters
  // live in the hash.
  function threats() {
    var params = hashParams();
    var keys = ["since", "until", "category", "min_severity", "decision", "detector", "tool", "login", "agent", "triage"];
    var filters = {};
    keys.forEach(function (k) { filters[k] = params[k] || ""; });
    if (!params.since) filters.since = "24h";
    var state = { cursor: "" };
    var tbody = h("tbody", null);
    var more = h("button", { type: "button", "class": "more", id: "threats-more", hidden: true }, "Load more");
    function go() { location.hash = "#/threats" + qs(filters); }
    function query() {
      var q = { limit: 100, cursor: state.cursor };
      keys.forEach(function (k) { q[k] = filters[k]; });
      return rangeQuery(filters, q);
    }
    function load() {
      return api("/v1/findings" + qs(query())).then(function (page) {
        (page.findings || []).forEach(function (f) {
          tbody.appendChild(h("tr", { "data-category": f.category, "data-triage": f.triage || "", "data-tool": f.tool || "" },
            h("td", null, when(f.received_at)),
            h("td", null, sevBadge(f.severity)),
            h("td", null, f.category, f.class ? h("div", { "class": "muted" }, f.class) : null),
            h("td", { "class": "mono" }, f.detector + " / " + f.rule),
            h("td", { "class": "mono" }, f.tool || ""),
            h("td", { "class": "mono" }, evidence(f)),
            h("td", null, taxonomyChips(f.taxonomy)),
            h("td", null, f.message),
            h("td", null, decisionBadge(f.decision, f.would_block)),
            h("td", null, f.login || "", f.user_agent ? h("div", { "class": "muted mono" }, f.user_agent) : null),
            h("td", null, triageBadge(f.triage)),
            h("td", null, f.session_id ? link("#/sessions/" + encodeURIComponent(f.session_id), f.session_id) : "", " ", link("#/events/" + encodeURIComponent(f.event_id), "event"))));
        });
        state.cursor = page.next || "";
        more.hidden = !page.next;
        if (!tbody.firstChild) tbody.appendChild(h("tr", null, h("td", { colspan: 12, "class": "empty" }, "No findings match.")));
      });
    }
    more.addEventListener("click", function () { load().catch(fail); });
    function field(key, control) {
      control.id = "threat-" + key.replace("_", "-");
      control.addEventListener("change", function () {
        filters[key] = control.value.trim();
        go();
      });
      return control;
    }
    function select(key, options) {
      return field(key, h("select", null, options.map(function (o) { return h("option", { value: o[0], selected: filters[key] === o[0] }, o[1]); })));
    }
    function input(key, ph, size) { return field(key, h("input", { value: filters[key], placeholder: ph, size: size })); }
    var cats = [["", "any"]].concat(CATEGORIES);
    if (filters.category && !CATEGORIES.some(function (c) { return c[0] === filters.category; })) cats.push([filters.category, filters.category]);
    return load().then(function () {
      render(h("div", { "class": "toolbar", id: "threat-filters" }, h("h1", null, "Threats"),
        timeRange("threat", filters, go),
        h("label", null, "Category ", select("category", cats)),
        h("label", null, "Min severity ", select("min_severity", [["", "any"], ["low", "low"], ["medium", "medium"], ["high", "high"], ["critical", "critical"]])),
        h("label", null, "Decision ", select("decision", [["", "any"], ["allow", "allow"], ["block", "block"], ["modify", "modify"]])),
        h("label", null, "Triage ", select("triage", [["", "any"], ["untriaged", "untriaged"], ["acknowledged", "acknowledged"], ["false_positive", "false positive"], ["escalated", "escalated"]])),
        h("label", null, "Detector ", input("detector", "any", 9)),
        h("label", null, "Tool ", input("tool", "any", 9)),
        h("label", null, "Login ", input("login", "any", 14)),
        h("label", null, "Agent ", input("agent", "any", 12))),
        h("div", { "class": "scroll" }, h("table", { id: "threats-table" },
          h("thead", null, h("tr", null, ["Time", "Severity", "Category", "Detector / rule", "Tool", "Evidence", "Taxonomy", "Message", "Decision", "Login / agent", "Triage", "Where"].map(function (x) { return h("th", null, x); }))),
          tbody)),
        more);
    });
  }

  // usage is the Tools & Agents view: block rates and verdict latency per
  // agent (user-agent family) and per tool.
  function usage() {
    var since = hashParams().since || "24h";
    return api("/v1/breakdown" + qs({ since: since === "all" ? "0" : since })).then(function (b) {
      function pct(x) { return (Math.round(x * 1000) / 10) + " %"; }
      function table(id, title, rows) {
        return h("div", { "class": "panel" }, h("h2", null, title),
          rows.length ? h("table", { id: id },
            h("thead", null, h("tr", null, ["Name", "Events", "Blocked", "Would block", "Block rate", "p50", "p95"].map(function (x) { return h("th", null, x); }))),
            h("tbody", null, rows.map(function (u) {
              return h("tr", { "data-name": u.name },
                h("td", { "class": "mono" }, u.name), h("td", null, String(u.events)), h("td", null, String(u.blocked)),
                h("td", null, String(u.would_block)), h("td", null, pct(u.block_rate)),
                h("td", null, ms(u.latency_p50_ns)), h("td", null, ms(u.latency_p95_ns)));
            }))) : h("p", { "class": "empty" }, "No evaluated events in this range."));
      }
      var sel = h("select", { id: "usage-since", onchange: function (e) { location.hash = "#/usage" + qs({ since: e.target.value }); } },
        [["1h", "1h"], ["24h", "24h"], ["168h", "7d"], ["720h", "30d"], ["all", "all"]].map(function (o) { return h("option", { value: o[0], selected: o[0] === since }, "last " + o[1]); }));
      render(h("div", { "class": "toolbar" }, h("h1", null, "Tools & Agents"), sel),
        b.sampled ? h("p", { "class": "muted" }, "Only the newest events of the range were read.") : null,
        h("div", { "class": "grid2" }, table("agents-table", "Agents", b.agents || []), table("tools-table", "Tools", b.tools || [])));
    });
  }

  // replay evaluates a pasted payload (an Aperture hook JSON, or plain
  // text as a prompt) against the current policy; nothing is recorded.
  function replay() {
    var box = h("textarea", { id: "replay-input", rows: 12, spellcheck: "false", placeholder: "Paste an Aperture hook payload (JSON), or plain text to judge as a user prompt" });
    var asText = h("input", { type: "checkbox", id: "replay-text" });
    var out = h("div", { id: "replay-result" });
    var btn = h("button", { type: "button", id: "replay-run", onclick: function () {
      var v = box.value;
      var req;
      if (asText.checked) req = { text: v };
      else {
        try { req = { payload: JSON.parse(v) }; } catch (e) {
          clear(out); out.appendChild(h("p", { "class": "error" }, "Not JSON: " + e.message + " (tick “plain text” to judge it as a prompt)")); return;
        }
      }
      clear(out); out.appendChild(h("p", { "class": "loading" }, "Evaluating…"));
      apiPost("/v1/replay", req).then(function (res) {
        var r = res.result;
        var ev = { id: "replay", type: res.event, received_at: new Date().toISOString(), items: res.items, result: r };
        clear(out);
        out.appendChild(h("p", { "class": "muted" }, "Verdict of the current policy (" + res.mode + " mode" + (res.api_format ? ", " + res.api_format : "") + "); not recorded."));
        var card = eventCard(ev, false);
        var a = card.querySelector('a[href="#/events/replay"]');
        if (a) a.remove();
        out.appendChild(h("ol", { "class": "timeline" }, card));
      }).catch(function (err) { clear(out); if (err instanceof AuthError) fail(err); else out.appendChild(h("p", { "class": "error", id: "replay-error" }, err.message)); });
    } }, "Evaluate");
    render(h("h1", null, "Replay"),
      h("div", { "class": "panel replay" }, box,
        h("div", { "class": "toolbar" }, h("label", null, asText, " plain text (a prompt)"), btn)),
      out);
    return Promise.resolve();
  }

  function cell(v) {
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) return v.map(function (x) { return typeof x === "object" ? JSON.stringify(x) : String(x); }).join(", ");
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function detectors() {
    return api("/v1/detectors").then(function (body) {
      var rows = body;
      if (!Array.isArray(rows) && rows && typeof rows === "object") {
        var arr = Object.keys(rows).filter(function (k) { return Array.isArray(rows[k]); });
        rows = arr.length ? rows[arr[0]] : [rows];
      }
      rows = (rows || []).filter(function (r) { return r && typeof r === "object"; });
      var cols = [];
      rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
      // Known fields first, in the order a reader wants them; the rest after.
      var order = ["id", "name", "version", "runtime", "source", "kinds", "health", "status", "mode", "calls", "errors", "timeouts"];
      function rank(c) {
        var i = order.indexOf(c);
        if (i >= 0) return i;
        if (/latency|duration/.test(c)) return order.length;
        return order.length + 1;
      }
      cols.sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0); });
      render(h("h1", null, "Detectors"),
        rows.length ? h("table", { id: "detectors-table" },
          h("thead", null, h("tr", null, cols.map(function (c) { return h("th", null, c.replace(/_ns$/, " (ms)").replace(/_/g, " ")); }))),
          h("tbody", null, rows.map(function (r) {
            return h("tr", { "data-detector": cell(r.id || r.name) }, cols.map(function (c) {
              var v = r[c];
              if (c === "health" || c === "status") {
                var good = v === "ok" || v === "healthy" || v === true || v === "serving";
                return h("td", null, h("span", { "class": "badge " + (good ? "ok" : "bad") }, cell(v)));
              }
              if (/latency|duration|_ns$/.test(c) && typeof v === "number") return h("td", null, ms(v));
              return h("td", { "class": typeof v === "object" ? "mono" : "" }, cell(v));
            }));
          }))) : h("p", { "class": "empty" }, "No detectors reported."));
    });
  }

  route();
})();
