// The SPARQL editor of the query page: CodeMirror 6 with the SPARQL mode, token classes that
// the page's style sheet colours (tok-keyword, tok-variableName, ...), and completion of the
// dataset's prefixes. Bundled into the global QikgEditor by `npm run build`.
import { autocompletion } from "@codemirror/autocomplete";
import { StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { EditorState } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { basicSetup, EditorView } from "codemirror";

const sparqlLanguage = StreamLanguage.define(sparql);

function declared(text) {
  const names = new Set();
  for (const m of text.matchAll(/^\s*PREFIX\s+([A-Za-z][\w.-]*)?:/gim)) names.add(m[1] || "");
  return names;
}

// Offers `name:` for each prefix of the dataset, and adds its PREFIX line when it is missing.
function prefixCompletions(prefixes) {
  return (context) => {
    const word = context.matchBefore(/[A-Za-z][\w-]*:?/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const line = context.state.doc.lineAt(context.pos).text;
    const inPrefixLine = /^\s*PREFIX\s+[\w-]*$/i.test(line.slice(0, context.pos - context.state.doc.lineAt(context.pos).from));
    const options = Object.entries(prefixes).map(([name, iri]) => ({
      label: `${name}:`,
      detail: iri,
      type: "namespace",
      apply: (view, completion, from, to) => {
        const text = inPrefixLine ? `${name}: <${iri}>` : `${name}:`;
        const changes = [{ from, to, insert: text }];
        if (!inPrefixLine && !declared(view.state.doc.toString()).has(name)) {
          changes.push({ from: 0, insert: `PREFIX ${name}: <${iri}>\n` });
        }
        view.dispatch({ changes, selection: { anchor: from + text.length + (changes.length > 1 ? changes[1].insert.length : 0) } });
      },
    }));
    return { from: word.from, options, validFor: /^[A-Za-z][\w-]*:?$/ };
  };
}

export function create({ parent, doc, prefixes, onRun, label }) {
  const run = () => {
    onRun();
    return true;
  };
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        keymap.of([
          { key: "Mod-Enter", run },
          { key: "Shift-Enter", run },
        ]),
        basicSetup,
        sparqlLanguage,
        sparqlLanguage.data.of({ autocomplete: prefixCompletions(prefixes) }),
        autocompletion(),
        syntaxHighlighting(classHighlighter),
        EditorView.contentAttributes.of({ "aria-label": label }),
      ],
    }),
  });
}

export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

export function getText(view) {
  return view.state.doc.toString();
}
