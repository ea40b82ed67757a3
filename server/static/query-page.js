// The query page: turns the plain form into an editor (CodeMirror, from vendor/editor.js) with
// the named queries as example tabs, and shows SELECT answers as a table. Its configuration
// comes from the JSON element #qikg-editor-config. Without JavaScript the form still works.
"use strict";

(function () {
  const configElement = document.getElementById("qikg-editor-config");
  const textarea = document.getElementById("query");
  const form = textarea && textarea.form;
  if (!configElement || !form || !window.QikgEditor) return;
  const config = JSON.parse(configElement.textContent);
  const formatSelect = document.getElementById("format");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const base = config.prefixes.data || "";

  const view = window.QikgEditor.create({
    parent: document.getElementById("editor"),
    doc: textarea.value,
    prefixes: config.prefixes,
    onRun: () => form.requestSubmit(),
    label: "SPARQL query",
  });
  textarea.hidden = true;
  textarea.required = false;
  document.querySelector("label[for=query]").id = "query-label";
  document.querySelector("label[for=query]").removeAttribute("for");
  document.getElementById("editor").hidden = false;
  document.getElementById("shortcut").hidden = false;

  // Example tabs: the user's own query first, then each named query.
  const tabs = document.querySelector("#examples .tabs");
  let ownQuery = textarea.value;
  let current = null;
  function select(button, text) {
    if (current === null) ownQuery = window.QikgEditor.getText(view);
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b === button));
    window.QikgEditor.setText(view, text);
    current = button.dataset.name || null;
  }
  function addTab(name, title, text) {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "tab");
    button.setAttribute("aria-selected", "false");
    button.textContent = name;
    button.title = title;
    if (text !== null) button.dataset.name = name;
    button.addEventListener("click", () => select(button, text === null ? ownQuery : text));
    tabs.appendChild(button);
    return button;
  }
  addTab("your query", "The query you are writing", null).setAttribute("aria-selected", "true");
  for (const example of config.examples) addTab(example.name, example.summary, example.query);
  document.getElementById("examples").hidden = false;

  form.addEventListener("submit", (event) => {
    textarea.value = window.QikgEditor.getText(view);
    if (formatSelect.value) return; // a format chosen: the browser shows the answer as sent
    event.preventDefault();
    run(textarea.value);
  });

  function compact(iri) {
    for (const [name, namespace] of Object.entries(config.prefixes)) {
      const local = iri.startsWith(namespace) ? iri.slice(namespace.length) : null;
      if (local !== null && /^[\w-]*$/.test(local) && name !== "data") return `${name}:${local}`;
    }
    return iri;
  }

  function link(iri) {
    const a = document.createElement("a");
    a.textContent = compact(iri);
    if (base && iri.startsWith(base)) a.href = "/" + iri.slice(base.length);
    else if (/^https?:\/\//.test(iri)) a.href = iri;
    a.title = iri;
    return a;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.appendChild(link(term.value));
    } else if (term.type === "bnode") {
      td.textContent = `_:${term.value}`;
    } else {
      td.appendChild(document.createTextNode(term.value));
      const note = term["xml:lang"] ? `@${term["xml:lang"]}` : term.datatype ? compact(term.datatype) : "";
      if (note && !/#(string|integer|decimal|double)$/.test(term.datatype || "")) {
        const span = document.createElement("span");
        span.className = term["xml:lang"] ? "lang" : "datatype";
        span.textContent = " " + (term["xml:lang"] ? note : `^^${note}`);
        td.appendChild(span);
      }
      if (/#(integer|decimal|double|float|long|int)$/.test(term.datatype || "")) td.className = "num";
    }
    return td;
  }

  function table(data) {
    const element = document.createElement("table");
    element.id = "result-table";
    const head = element.createTHead().insertRow();
    for (const name of data.head.vars) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    }
    const body = element.createTBody();
    for (const binding of data.results.bindings) {
      const row = body.insertRow();
      for (const name of data.head.vars) row.appendChild(cell(binding[name]));
    }
    return element;
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  async function run(query) {
    say("Running…", false);
    results.replaceChildren();
    const started = performance.now();
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query }),
      });
    } catch (err) {
      say(`The endpoint could not be reached: ${err}`, true);
      return;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!response.ok) {
      say(`${response.status} ${response.statusText}\n${await response.text()}`, true);
      return;
    }
    const truncated = response.headers.get("X-Qikg-Truncated") === "true"
      ? ` (cut at ${response.headers.get("X-Qikg-Row-Limit")} rows: page with ORDER BY, LIMIT and OFFSET)`
      : "";
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/sparql-results+json")) {
      const data = await response.json();
      if ("boolean" in data) {
        say(`ASK answered ${data.boolean} in ${seconds} s.`, false);
        return;
      }
      const count = data.results.bindings.length;
      say(`${count} row${count === 1 ? "" : "s"} in ${seconds} s${truncated}.`, false);
      results.appendChild(table(data));
    } else {
      const pre = document.createElement("pre");
      pre.id = "result-text";
      pre.textContent = await response.text();
      say(`Answered in ${seconds} s${truncated}.`, false);
      results.appendChild(pre);
    }
  }
})();
