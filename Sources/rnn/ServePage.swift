import RNNKit

/// The web page `rnn serve` answers on `GET /`: one self-contained document (inline CSS and
/// script, nothing fetched from elsewhere) that asks this server's own routes.
///
/// The page colours words in the browser, so the colour scale is ported to its script. Sending
/// colours from the server instead would have made :explain's objects differ from `rnn explain
/// --json`'s. The port is pinned to the library's: the page holds `HTML.importanceRGB` evaluated
/// at `pinnedValues` and checks its own formula against them on load (a mismatch is shown as an
/// error and marked on `<body data-scale-check>`, which scripts/check-page reads in Chromium).
///
/// Its URL can carry the input, so a headless browser drives it without a DevTools client:
/// `/?model=NAME&text=…` explains a text, `/?model=NAME&prompt=…&length=…&temperature=…&top_k=…&top_p=…&seed=…`
/// generates (also `units=0,5`).
enum ServePage {
    /// Values where the script's colour scale must equal the library's: both ends, zero, a
    /// spread between, and some that are not exact in binary.
    static let pinnedValues: [Float] = [-1, -0.75, -0.5, -1.0 / 3, -0.2, -0.1, -0.01, 0, 0.003, 0.1, 0.25, 0.3, 0.5, 2.0 / 3, 0.9, 1, 1.5, -7]

    static var scalePins: String {
        "[" + pinnedValues.map { v in
            let (r, g, b) = HTML.importanceRGB(v)
            return "[\(v),\(r),\(g),\(b)]"
        }.joined(separator: ",") + "]"
    }

    static let html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>rnn serve</title>
        <style>
        :root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --accent: #2a6; --bad: #b3261e; }
        * { box-sizing: border-box; }
        body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; background: #f6f7f9; }
        header { background: #1d2330; color: #fff; padding: 0.9em 1.5em; }
        header h1 { font-size: 1.2em; margin: 0; font-weight: 600; }
        header span { color: #aab3c5; font-size: 0.9em; }
        main { max-width: 62em; margin: 1.5em auto; padding: 0 1em; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1em 1.25em; margin-bottom: 1em; }
        label { font-weight: 600; font-size: 0.9em; color: var(--muted); display: block; margin-bottom: 0.3em; }
        select, textarea, input { font: inherit; border: 1px solid #c8ceda; border-radius: 6px; padding: 0.4em 0.55em; background: #fff; }
        textarea { width: 100%; min-height: 4.5em; resize: vertical; }
        .row { display: flex; flex-wrap: wrap; gap: 0.8em; align-items: flex-end; margin-top: 0.7em; }
        .row input { width: 7em; }
        button { font: inherit; font-weight: 600; background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 0.45em 1.1em; cursor: pointer; }
        button.secondary { background: #e8ebf0; color: var(--ink); }
        button:disabled { opacity: 0.5; cursor: default; }
        .note { color: var(--muted); font-size: 0.88em; }
        #error { display: none; border-color: #f0b8b3; background: #fdf1f0; color: var(--bad); white-space: pre-wrap; }
        #label-line { font-size: 1.15em; }
        #label { font-weight: 700; }
        .bars { margin: 0.5em 0 0.2em; }
        .bar { display: grid; grid-template-columns: 9em 1fr 4em; gap: 0.6em; align-items: center; margin: 0.2em 0; font-variant-numeric: tabular-nums; }
        .bar div { height: 0.8em; background: #e8ebf0; border-radius: 4px; overflow: hidden; }
        .bar div span { display: block; height: 100%; background: var(--accent); }
        .words { font-size: 1.5em; line-height: 2.1; margin: 0.4em 0; }
        .words span { padding: 0.12em 0.3em; border-radius: 0.25em; margin-right: 0.15em; }
        .chars { font: 1.05em/1.9 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; word-break: break-all; }
        .chars span { padding: 0.1em 0; }
        .unk { font-style: italic; text-decoration: underline dotted; }
        svg { max-width: 100%; height: auto; display: block; }
        h3.note { font-weight: 600; margin: 0.9em 0 0.2em; }
        svg text { font: 11px system-ui, sans-serif; fill: #445; }
        #generated { font: 1em/1.6 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; background: #fbfbfc;
          border: 1px solid var(--line); border-radius: 6px; padding: 0.7em; min-height: 3em; }
        #generated b { font-weight: 600; color: var(--muted); }
        h2 { font-size: 1.02em; margin: 0.2em 0 0.6em; }
        .hidden { display: none; }
        </style></head>
        <body data-scale-check="pending">
        <header><h1>rnn serve <span>— recurrent networks, explained</span></h1></header>
        <main>
        <div class="card"><label for="model">Model</label>
        <select id="model"></select> <span id="model-info" class="note"></span></div>
        <div id="error" class="card" role="alert"></div>

        <section id="classifier" class="hidden">
        <form id="classify-form" class="card">
        <label for="text">Text to classify and explain</label>
        <textarea id="text" placeholder="this is not good at all"></textarea>
        <div class="row"><div><label for="units">Hidden units</label><input id="units" placeholder="e.g. 0,5"></div>
        <button id="explain-button" type="submit">Explain</button>
        <span class="note">Blank units: the 3 that change most over the text.</span></div>
        </form>
        <div id="result" class="hidden">
        <div class="card"><div id="label-line">Prediction: <span id="label"></span></div>
        <div id="bars" class="bars"></div>
        <div id="words" class="words"></div>
        <p class="note">Each word is coloured by its importance (occlusion: the prediction's probability minus its
        probability without the word): green pushed towards the prediction, red away from it. Italic: not in the
        vocabulary. Hover a word for its numbers.</p></div>
        <div class="card"><h2>The prediction as the model reads</h2><div id="plot"></div></div>
        <div class="card"><h2>Hidden units of the top layer</h2><div id="heatmap"></div>
        <p class="note">One row per unit, one column per token; green a positive activation, red a negative one,
        each row on its own scale.</p></div>
        </div>
        </section>

        <section id="language-model" class="hidden">
        <form id="generate-form" class="card">
        <label for="prompt">Prompt</label>
        <textarea id="prompt" placeholder="ROMEO:"></textarea>
        <div class="row">
        <div><label for="length">Length</label><input id="length" type="number" min="0" value="200"></div>
        <div><label for="temperature">Temperature</label><input id="temperature" type="number" min="0" step="0.05" value="0.8"></div>
        <div><label for="top_k">Top-k</label><input id="top_k" type="number" min="1" placeholder="all"></div>
        <div><label for="top_p">Top-p</label><input id="top_p" type="number" min="0" max="1" step="0.05" placeholder="1"></div>
        <div><label for="seed">Seed</label><input id="seed" type="number" min="0" placeholder="random"></div>
        <button id="generate-button" type="submit">Generate</button>
        <button id="stop-button" type="button" class="secondary" disabled>Stop</button>
        </div></form>
        <div class="card"><h2>Generated</h2><div id="generated"></div><p id="generate-status" class="note"></p>
        <button id="explain-generated" type="button" class="secondary" disabled>Explain this text</button></div>
        <div id="lm-result" class="hidden">
        <div class="card"><h2>Surprisal of each token given those before it</h2><div id="lm-chars"></div>
        <p id="lm-mean" class="note"></p><div id="lm-plot"></div></div>
        <div class="card"><h2>Hidden units of the top layer</h2><div id="lm-units"></div>
        <p class="note">Each character coloured by the unit's activation after it: green positive, red negative.</p></div>
        </div>
        </section>
        </main>
        <script>
        "use strict";
        const $ = id => document.getElementById(id);
        const SCALE_PINS = \(scalePins);
        let models = {};
        const hidden = {};  // models this page does not show, by name: their task

        // HTML.importanceRGB's scale (Sources/RNNKit/Training/Reports/HTML.swift): white at 0, green
        // towards +1, red towards -1, clamped. Its argument is a Float: fround rounds as it does (0.1
        // as a double gives 235.5, which rounds up; as a Float, 235.49999…, which rounds down).
        function importanceRGB(v) {
          const a = Math.min(Math.max(Math.abs(Math.fround(v)), 0), 1);
          const target = v >= 0 ? [60, 180, 90] : [220, 60, 60];
          return target.map(c => Math.round(255 + (c - 255) * a));
        }
        function importanceCSS(value, scale) {
          const [r, g, b] = importanceRGB(scale > 0 ? Math.fround(Math.fround(value) / Math.fround(scale)) : 0);
          return `rgb(${r},${g},${b})`;
        }
        function checkScale() {
          const wrong = SCALE_PINS.filter(([v, r, g, b]) => importanceRGB(v).join() !== [r, g, b].join());
          document.body.dataset.scaleCheck = wrong.length ? "mismatch" : "ok";
          if (wrong.length) showError("the page's colour scale differs from the server's at " + wrong.map(w => w[0]).join(", "));
        }

        function showError(message) { const e = $("error"); e.textContent = message; e.style.display = "block"; }
        function clearError() { $("error").style.display = "none"; $("error").textContent = ""; }
        const fixed = x => x.toFixed(3);
        const signed = x => (x >= 0 ? "+" : "") + x.toFixed(3);
        function el(tag, attributes, text) {
          const e = document.createElement(tag);
          for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, v);
          if (text !== undefined) e.textContent = text;
          return e;
        }
        const SVG = "http://www.w3.org/2000/svg";
        function svgEl(tag, attributes, text) {
          const e = document.createElementNS(SVG, tag);
          for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
          if (text !== undefined) e.textContent = text;
          return e;
        }
        const visible = t => t === "\\n" ? "↵" : t === " " ? "␣" : t;

        async function answerOf(response) {
          const body = await response.text();
          let json;
          try { json = JSON.parse(body); } catch (e) { throw new Error(`the server answered ${response.status} with no JSON`); }
          if (!response.ok) throw new Error(json.error || `the server answered ${response.status}`);
          return json;
        }

        async function loadModels() {
          const list = (await answerOf(await fetch("/v1/models"))).models;
          const select = $("model");
          // Translation models are asked with POST /v1/models/NAME:translate; this page shows the other two kinds.
          const shown = list.filter(m => m.task === "classify" || m.task === "language_model");
          for (const m of list) if (!shown.includes(m)) hidden[m.name] = m.task;
          for (const m of shown) { models[m.name] = m; select.append(el("option", {value: m.name}, `${m.name} (${m.task === "classify" ? "classifier" : "language model"})`)); }
          if (!shown.length) throw new Error(list.length ? "this server has only translation models: ask them with POST /v1/models/NAME:translate." : "this server has no model.");
        }

        function showModel() {
          const m = models[$("model").value];
          const c = m.configuration || {};
          const classifier = m.task === "classify";
          $("classifier").classList.toggle("hidden", !classifier);
          $("language-model").classList.toggle("hidden", classifier);
          $("model-info").textContent = classifier
            ? `labels ${m.labels.join(", ")}; ${m.vocabulary_size} words; ${c.cell || ""} ${c.hidden_size || ""} units`
            : `${m.level} level; ${m.vocabulary_size} tokens; ${c.cell || ""} ${c.hidden_size || ""} units`;
        }

        function units() {
          const text = $("units").value.trim();
          if (!text) return undefined;
          return text.split(/[\\s,]+/).filter(s => s).map(Number);
        }

        async function explain(text) {
          const name = $("model").value;
          const body = {instances: [text]};
          const u = models[name].task === "classify" ? units() : undefined;
          if (u) body.units = u;
          const response = await fetch(`/v1/models/${encodeURIComponent(name)}:explain`, {
            method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
          return (await answerOf(response)).explanations[0];
        }

        // A line plot of values in 0…1 (nil: no point), one point per token; `scale` is what 1
        // stands for, so that the axis and the hover show the values as they were (e.g. bits).
        function plot(values, labels, title, color, scale = 1) {
          // Wide enough for each token's label under its point, and at least the card's width.
          const spacing = Math.max(14, 7 * Math.max(...labels.map(l => l.length)) + 12);
          const left = 34, top = 22, height = 190, right = 24;
          const width = Math.max(860, left + right + spacing * Math.max(values.length - 1, 1));
          const x = t => left + t * (values.length > 1 ? (width - left - right) / (values.length - 1) : 0);
          const y = v => top + (height - top - 34) * (1 - Math.min(Math.max(v, 0), 1));
          const svg = svgEl("svg", {width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "plot"});
          svg.append(svgEl("text", {x: left, y: 13}, title));
          for (const v of [0, 0.5, 1]) {
            svg.append(svgEl("line", {x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: v === 0.5 ? "#ddd" : "#bbb", "stroke-dasharray": v === 0.5 ? "4" : "0"}));
            svg.append(svgEl("text", {x: 4, y: y(v) + 4}, scale === 1 ? String(v) : String(+(v * scale).toFixed(1))));
          }
          const points = values.map((v, t) => v === null ? null : [x(t), y(v)]).filter(p => p);
          svg.append(svgEl("polyline", {points: points.map(p => p.join(",")).join(" "), fill: "none", stroke: color, "stroke-width": 2}));
          values.forEach((v, t) => {
            if (v === null) return;
            const dot = svgEl("circle", {cx: x(t), cy: y(v), r: 3.5, fill: color});
            dot.append(svgEl("title", {}, `${labels[t]}: ${fixed(v * scale)}`));
            svg.append(dot);
          });
          if (values.length <= 60) labels.forEach((l, t) => svg.append(svgEl("text", {x: x(t), y: height - 10, "text-anchor": "middle"}, visible(l))));
          return svg;
        }

        // Units × tokens, each cell coloured by its activation on its row's scale.
        function heatmap(rows, labels) {
          const cell = labels.length > 60 ? 9 : labels.length > 20 ? 26 : 56, left = 70, top = labels.length > 60 ? 8 : 62;
          const width = left + cell * labels.length + 4, height = top + 22 * rows.length + 4;
          const svg = svgEl("svg", {width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "hidden units", class: "heatmap"});
          if (top > 8) labels.forEach((l, t) => svg.append(svgEl("text", {
            x: left + cell * t + cell / 2, y: top - 6, transform: `rotate(-50 ${left + cell * t + cell / 2} ${top - 6})`}, visible(l))));
          rows.forEach((row, k) => {
            svg.append(svgEl("text", {x: 4, y: top + 22 * k + 15}, row.name));
            const scale = Math.max(...row.values.map(Math.abs));
            row.values.forEach((v, t) => {
              const rect = svgEl("rect", {x: left + cell * t, y: top + 22 * k, width: cell - 1, height: 20, fill: importanceCSS(v, scale)});
              rect.append(svgEl("title", {}, `${row.name}, ${labels[t]}: ${signed(v)}`));
              svg.append(rect);
            });
          });
          return svg;
        }

        function showClassifier(e) {
          const predicted = e.labels.indexOf(e.label);
          $("label").textContent = e.label;
          $("bars").replaceChildren(...e.labels.map((l, k) => {
            const row = el("div", {class: "bar"});
            const track = el("div"), fill = el("span");
            fill.style.width = `${(100 * e.probabilities[k]).toFixed(1)}%`;
            if (k !== predicted) fill.style.background = "#9aa3b2";
            track.append(fill);
            row.append(el("span", {}, l), track, el("span", {}, fixed(e.probabilities[k])));
            return row;
          }));
          const importance = e.tokens.map(t => t.occlusion ?? t.gradientTimesInput);
          const scale = Math.max(0, ...importance.map(Math.abs));
          $("words").replaceChildren(...e.tokens.map((t, k) => {
            const span = el("span", {class: t.known ? "word" : "word unk", "data-importance": importance[k],
              title: `p(${e.label}) so far ${fixed(t.probabilities[predicted])}, occlusion ${t.occlusion == null ? "—" : signed(t.occlusion)}, gradient × input ${signed(t.gradientTimesInput)}`}, t.text);
            span.style.background = importanceCSS(importance[k], scale);
            return span;
          }));
          if (e.skippedWords.length) $("words").append(el("p", {class: "note"}, "Skipped (not in the vocabulary): " + e.skippedWords.join(" ")));
          const labels = e.tokens.map(t => t.text);
          $("plot").replaceChildren(plot(e.tokens.map(t => t.probabilities[predicted]), labels, `p(${e.label}) after each word`, "#2a6"));
          $("heatmap").replaceChildren(heatmap(e.units.map(u => ({name: `unit ${u.index}`, values: u.activations})), labels));
          $("result").classList.remove("hidden");
        }

        // The text as a line of tokens, each with its colour and hover text.
        function chars(e, colour, title) {
          const line = el("div", {class: "chars"});
          line.append(...e.tokens.map((t, k) => {
            const span = el("span", {class: t.known ? "char" : "char unk", title: title(k)}, t.text + (e.level === "word" ? " " : ""));
            span.style.background = colour(t, k);
            return span;
          }));
          return line;
        }

        function showLanguageModel(e) {
          const bits = e.tokens.map(t => t.surprisal ?? 0);
          const most = Math.max(0, ...bits);
          $("lm-chars").replaceChildren(chars(e, (t, k) => importanceCSS(-bits[k], most),
            k => e.tokens[k].probability == null ? "first token: not predicted" : `p ${fixed(e.tokens[k].probability)}, ${fixed(bits[k])} bits`));
          $("lm-mean").textContent = e.meanSurprisal == null ? "One token: nothing predicted."
            : `Mean surprisal ${fixed(e.meanSurprisal)} bits per ${e.level === "char" ? "character" : "word"}; red is surprising.`;
          const labels = e.tokens.map(t => t.text);
          const top = Math.max(most, 1);
          $("lm-plot").replaceChildren(plot(e.tokens.map(t => t.surprisal == null ? null : t.surprisal / top), labels,
            "surprisal in bits", "#c0392b", top));
          // Karpathy's view: the text once per unit, each character coloured by the unit's activation.
          $("lm-units").replaceChildren(...e.units.flatMap(u => {
            const scale = Math.max(...u.activations.map(Math.abs));
            return [el("h3", {class: "note"}, `unit ${u.index}: ` + (u.feature ? `follows ${u.feature} (r ${signed(u.correlation)}), ` : "")
                      + `variance ${fixed(u.variance)}`),
                    chars(e, (t, k) => importanceCSS(u.activations[k], scale), k => `unit ${u.index}: ${signed(u.activations[k])}`)];
          }));
          $("lm-result").classList.remove("hidden");
        }

        // Server-sent events over fetch (EventSource only GETs): each `data:` piece is appended as it arrives.
        let controller = null;
        async function generate() {
          const name = $("model").value;
          const body = {prompt: $("prompt").value};
          for (const key of ["length", "temperature", "top_k", "top_p", "seed"]) {
            const v = $(key).value.trim();
            if (v !== "") body[key] = Number(v);
          }
          const out = $("generated");
          out.replaceChildren(el("b", {}, body.prompt));
          const text = document.createTextNode("");
          out.append(text);
          $("generate-status").textContent = "generating…";
          $("generate-button").disabled = true; $("stop-button").disabled = false; $("explain-generated").disabled = true;
          controller = new AbortController();
          try {
            const response = await fetch(`/v1/models/${encodeURIComponent(name)}:generate`, {
              method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), signal: controller.signal});
            if (!response.ok) await answerOf(response);
            const reader = response.body.getReader(), decoder = new TextDecoder();
            let buffer = "";
            for (;;) {
              const {value, done} = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, {stream: true});
              let end;
              while ((end = buffer.indexOf("\\n\\n")) >= 0) {
                const event = buffer.slice(0, end); buffer = buffer.slice(end + 2);
                let kind = "message", data = "";
                for (const line of event.split("\\n")) {
                  if (line.startsWith("event: ")) kind = line.slice(7);
                  else if (line.startsWith("data: ")) data += line.slice(6);
                }
                const json = JSON.parse(data);
                if (kind === "message") text.appendData(json.text);
                else if (kind === "done") {
                  const unknown = json.unknown_prompt_tokens.length ? `; not in the vocabulary: ${json.unknown_prompt_tokens.join(" ")}` : "";
                  $("generate-status").textContent = `${json.tokens} tokens${unknown}.`;
                  out.dataset.done = "true";
                } else if (kind === "error") throw new Error(json.error);
              }
            }
          } catch (error) {
            if (error.name === "AbortError") $("generate-status").textContent = "stopped.";
            else { $("generate-status").textContent = ""; showError(error.message); }
          } finally {
            $("generate-button").disabled = false; $("stop-button").disabled = true;
            $("explain-generated").disabled = out.textContent.length === 0;
            controller = null;
          }
        }

        async function run(action) {
          clearError();
          try { await action(); } catch (error) { showError(error.message); }
        }

        $("model").addEventListener("change", showModel);
        $("classify-form").addEventListener("submit", event => {
          event.preventDefault();
          run(async () => showClassifier(await explain($("text").value)));
        });
        $("generate-form").addEventListener("submit", event => { event.preventDefault(); run(generate); });
        $("stop-button").addEventListener("click", () => controller && controller.abort());
        $("explain-generated").addEventListener("click", () => run(async () => showLanguageModel(await explain($("generated").textContent))));

        // The input may come from the URL: ?model=NAME&text=… explains, ?model=NAME&prompt=… generates.
        async function start() {
          checkScale();
          await loadModels();
          const query = new URLSearchParams(location.search);
          const name = query.get("model");
          if (name !== null) {
            if (name in hidden) throw new Error(hidden[name] === "translation"
              ? `"${name}" is a translation model: ask it with POST /v1/models/${name}:translate (this page shows classifiers and language models).`
              : `"${name}" is a bag-of-n-grams classifier: ask it with POST /v1/models/${name}:predict (this page explains recurrent models).`);
            if (!(name in models)) throw new Error(`no model named "${name}" on this server; it has ${Object.keys(models).join(", ")}.`);
            $("model").value = name;
          }
          showModel();
          for (const key of ["text", "prompt", "units", "length", "temperature", "top_k", "top_p", "seed"]) {
            if (query.has(key)) $(key).value = query.get(key);
          }
          const classifier = models[$("model").value].task === "classify";
          if (classifier && query.has("text")) showClassifier(await explain($("text").value));
          else if (!classifier && query.has("prompt")) await generate();
          else if (!classifier && query.has("text")) showLanguageModel(await explain(query.get("text")));
        }
        run(start).finally(() => { document.body.dataset.ready = "true"; });
        </script>
        </body></html>

        """
}
