// 网上填报: the browser form. Checks the values with the import's rules as the user types (debounced), shows the
// issues beside each field, saves the draft on the server (and, until the server has it, in localStorage), and
// submits. An expired session keeps the typed values in this browser and sends the user to log in again.
(function () {
  "use strict";
  var form = document.getElementById("online-form");
  if (!form) { return; }
  var d = form.dataset;
  var statusBox = document.getElementById("online-status");
  var fields = Array.prototype.slice.call(form.querySelectorAll("tr[data-field] input, tr[data-field] select"));
  var checkTimer = null, saveTimer = null, checkSeq = 0, dirty = false, lastIssues = [], saving = Promise.resolve();

  function say(text, kind) {
    statusBox.textContent = "";
    var span = document.createElement("span");
    span.className = kind || "";
    span.textContent = text;
    statusBox.appendChild(span);
  }
  function values() {
    var out = {};
    fields.forEach(function (f) { out[f.name] = f.value; });
    return out;
  }
  function body(extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (k) { data.set(k, extra[k]); });
    return data;
  }
  function keep() { try { localStorage.setItem(d.key, JSON.stringify({values: values(), at: Date.now()})); } catch (e) { /* private mode */ } }
  function forget() { try { localStorage.removeItem(d.key); } catch (e) { /* private mode */ } }

  function expired() {
    keep();
    statusBox.textContent = "";
    var p = document.createElement("span");
    p.className = "alert error";
    p.textContent = d.msgExpired + " ";
    var a = document.createElement("a");
    a.href = d.login; a.id = "online-login"; a.textContent = d.msgLogin;
    statusBox.appendChild(p); statusBox.appendChild(a);
  }
  function post(url, extra) {
    return fetch(url, {method: "POST", body: body(extra), credentials: "same-origin",
                       headers: {"Accept": "application/json"}}).then(function (r) {
      if (r.status === 401 || r.status === 403) { expired(); throw new Error("login"); }
      var type = r.headers.get("content-type") || "";
      if (type.indexOf("json") < 0) { return r.text().then(function (t) { return {status: r.status, json: {message: t.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300)}}; }); }
      return r.json().then(function (j) { return {status: r.status, json: j}; });
    });
  }
  function setVersion(v) { if (v !== undefined && v !== null) { form.elements.draft_version.value = v; } }

  function showIssues(issues) {
    lastIssues = issues;
    form.querySelectorAll("tr[data-field]").forEach(function (row) {
      row.classList.remove("has-error", "has-warning");
      var cell = document.getElementById("issue-" + row.dataset.field);
      if (cell) { cell.textContent = ""; }
    });
    issues.forEach(function (i) {
      var cell = document.getElementById("issue-" + i.field);
      if (!cell) { return; }
      var line = document.createElement("div");
      line.className = i.severity;
      line.textContent = d.lang === "en" ? i.en : i.zh;
      cell.appendChild(line);
      cell.parentNode.classList.add(i.severity === "error" ? "has-error" : "has-warning");
    });
  }
  function check() {
    var seq = ++checkSeq;
    post(d.check).then(function (r) {
      if (seq !== checkSeq) { return; }  // an answer to an older check: the fields have changed since
      if (r.status === 200) { showIssues(r.json.issues || []); } else { say(r.json.message || "", "alert error"); }
    }).catch(function () { /* the session message is shown */ });
  }
  // One save at a time: each names the version the one before it returned (two at once would refuse each other).
  function save() {
    saving = saving.then(saveNow);
    return saving;
  }
  function saveNow() {
    if (!dirty) { return Promise.resolve(); }
    dirty = false;
    say(d.msgSaving);
    return post(d.draft).then(function (r) {
      if (r.status === 200) { setVersion(r.json.version); forget(); say(d.msgSaved + " · v" + r.json.version + " · " + r.json.saved_at, "alert ok"); }
      else { dirty = true; say(r.json.message || "", "alert error"); }
    }).catch(function () { dirty = true; });
  }
  function typed() {
    dirty = true;
    keep();
    clearTimeout(checkTimer); checkTimer = setTimeout(check, 300);
    clearTimeout(saveTimer); saveTimer = setTimeout(save, 2000);
  }

  // Values typed in this browser and never saved (a closed tab, an expired session) come back first.
  try {
    var kept = JSON.parse(localStorage.getItem(d.key) || "null");
    if (kept && kept.values) {
      fields.forEach(function (f) { if (kept.values[f.name] !== undefined) { f.value = kept.values[f.name]; } });
      dirty = true;
      say(d.msgRestored, "alert ok");
      save();
    }
  } catch (e) { /* nothing kept */ }

  fields.forEach(function (f) { f.addEventListener("input", typed); f.addEventListener("change", typed); });
  document.getElementById("online-save").addEventListener("click", function () { dirty = true; save(); });
  window.addEventListener("beforeunload", function () { if (dirty) { keep(); } });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearTimeout(saveTimer);
    if (lastIssues.some(function (i) { return i.severity === "error"; })) { say(d.msgErrors, "alert error"); return; }
    // Warnings are confirmed with a reason before anything is sent (the server refuses them otherwise too).
    var confirmed = form.elements.confirm_warnings.checked;
    if (lastIssues.length && !confirmed) { say(d.msgWarnings, "alert error"); return; }
    if (confirmed && !form.elements.warning_reason.value.trim()) { say(d.msgReason, "alert error"); return; }
    saving.then(function () { return post(form.action); }).then(function (r) {
      setVersion(r.json.version);
      if (r.status === 200) { dirty = false; forget(); say(d.msgSubmitted + " · " + r.json.status, "alert ok"); return; }
      if (r.json.issues && r.json.issues.length) { showIssues(r.json.issues); }
      var blocked = (r.json.issues || []).some(function (i) { return i.severity === "error"; });
      say(r.json.message || (blocked ? d.msgErrors : d.msgWarnings), "alert error");
    }).catch(function () { /* the session message is shown */ });
  });
  if (fields.some(function (f) { return f.value; })) { check(); }
})();
