"""Model objects to RDF: the only place where triples are made.

Every triple goes into exactly one named graph (see ``kg/iris.py``), so the union default
graph never counts a fact twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS
from rdflib.store import Store

from qikg import __version__

from .anchor import Anchor, prefix_suffix
from .catalogue import (
    CatalogueIssue,
    CodeText,
    Dimension,
    Question,
    load_catalogue,
    load_code_texts,
    load_questions,
)
from .codebook import Codebook, CodeInfo
from .evidence import SpanKey
from .iris import QIKG, Iris
from .model import CodeDefinition, Document, DocumentKind, Paragraph, SpeakerRole
from .participants import ProfileValue
from .study import Study

OA = Namespace("http://www.w3.org/ns/oa#")
CONTEXT_CHARS = 32
"""Characters of text kept before and after a quote in its TextQuoteSelector."""

KIND_CLASS = {
    "issue": QIKG.QualityIssue,
    "family": QIKG.CodeFamily,
    "mitigation": QIKG.Mitigation,
    "generic-mitigation": QIKG.GenericMitigation,
    "collection-technique": QIKG.DataCollectionTechnique,
    "positive-finding": QIKG.PositiveFinding,
    "note": QIKG.CodingNote,
}
PHASE = {
    "data-collection": QIKG.PhaseDataCollection,
    "data-preparation": QIKG.PhaseDataPreparation,
    "model-training": QIKG.PhaseModelTraining,
    "model-evaluation": QIKG.PhaseModelEvaluation,
    "model-deployment": QIKG.PhaseModelDeployment,
    "model-maintenance": QIKG.PhaseModelMaintenance,
    "cross-cutting": QIKG.PhaseCrossCutting,
}
ROLE = {
    SpeakerRole.INTERVIEWER: QIKG.RoleInterviewer,
    SpeakerRole.INTERVIEWEE: QIKG.RoleInterviewee,
    SpeakerRole.UNKNOWN: QIKG.RoleUnknown,
}
DOC_CLASS = {
    DocumentKind.TRANSCRIPT: QIKG.Transcript,
    DocumentKind.CODING: QIKG.Coding,
    DocumentKind.MODERATION: QIKG.ModeratedCoding,
}


SOFTWARE = URIRef("https://w3id.org/qikg/software")
"""The qikg software, agent of every import activity."""


@dataclass(frozen=True)
class SourceRecord:
    """A file a document was read from."""

    file: str
    sha256: str
    format: str


@dataclass
class Context:
    """What the build knows beyond the documents themselves.

    ``sources`` by document IRI (the first is the file its turns come from); ``anchors`` of
    each coded document's quotes in the interview's transcript; ``transcripts`` the canonical
    text of each interview's plain transcript; ``redactions`` counted per document;
    ``profiles`` of participants with the transcript turn (1-based) each value comes from.
    """

    sources: dict[URIRef, list[SourceRecord]] = field(default_factory=dict)
    anchors: dict[URIRef, dict[SpanKey, Anchor | None]] = field(default_factory=dict)
    transcripts: dict[int, tuple[Document, str]] = field(default_factory=dict)
    redactions: dict[URIRef, int] = field(default_factory=dict)
    profiles: dict[int, list[tuple[ProfileValue, int | None]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Curation:
    """The curated tables: dimensions, catalogue, guide questions, code texts."""

    dimensions: tuple[Dimension, ...] = ()
    issues: tuple[CatalogueIssue, ...] = ()
    questions: dict[str, Question] = field(default_factory=dict)
    code_texts: dict[str, CodeText] = field(default_factory=dict)

    @classmethod
    def shipped(cls) -> Curation:
        """The tables shipped with the package for the Côté et al. (2024) study."""
        dimensions, issues = load_catalogue()
        return cls(tuple(dimensions), tuple(issues), load_questions(), load_code_texts())


def dimension_iri(d: Dimension) -> URIRef:
    """The ontology individual of a quality dimension: ``qikg:Dimension`` + its label."""
    return QIKG["Dimension" + d.label.replace(" ", "")]


def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.positiveInteger)


def bind_prefixes(g: Graph) -> None:
    """Bind the prefixes every serialisation of our graphs uses."""
    for prefix, ns in (("qikg", QIKG), ("oa", OA), ("prov", PROV), ("skos", SKOS)):
        g.bind(prefix, ns)
    g.bind("dcterms", DCTERMS)
    g.bind("foaf", FOAF)


@dataclass(frozen=True)
class Builder:
    """Turns the documents of one study into graphs, minting IRIs with ``iris``."""

    iris: Iris
    study: Study
    codebook: Codebook
    context: Context = field(default_factory=Context)
    curation: Curation = field(default_factory=Curation.shipped)

    store: Store | None = None
    """Where the graphs are made: by default each in a store of its own; given one
    context-aware store, every graph is a context of it (their union is then the store's)."""

    def _graph(self, identifier: URIRef) -> Graph:
        g = Graph(identifier=identifier) if self.store is None else Graph(self.store, identifier)
        bind_prefixes(g)
        return g

    def language(self, doc: Document) -> str:
        listed = self.study.interviews.get(doc.interview, {}).get("language")
        return listed or doc.language

    # ---------------------------------------------------------------- documents
    def document_graph(self, doc: Document) -> Graph:
        """The triples of one source document: its metadata, turns, paragraphs, excerpts."""
        g = self._graph(self.iris.document_graph(doc))
        d = self.iris.document(doc)
        lang = self.language(doc)
        kind = doc.kind or DocumentKind.CODING
        g.add((d, RDF.type, DOC_CLASS[kind]))
        g.add((d, DCTERMS.title, Literal(doc.title)))
        g.add((d, QIKG.ofInterview, self.iris.interview(doc.interview)))
        g.add((d, QIKG.sourceFile, Literal(doc.source)))
        g.add((d, QIKG.sourceFormat, Literal(doc.format)))
        g.add((d, DCTERMS.language, Literal(lang, datatype=XSD.language)))
        person = self.iris.researcher(doc.person) if doc.person else None
        if person is not None and kind is not DocumentKind.TRANSCRIPT:
            prop = QIKG.moderatedBy if kind is DocumentKind.MODERATION else QIKG.codedBy
            g.add((d, prop, person))
        if doc.delve_id:
            g.add((d, QIKG.delveTranscriptId, Literal(doc.delve_id)))
        if doc.printed:
            printed = doc.printed + ":00" if len(doc.printed) == 16 else doc.printed
            g.add((d, QIKG.printedOn, Literal(printed, datatype=XSD.dateTime)))
        self._provenance(g, doc, d)
        if kind is DocumentKind.TRANSCRIPT and doc.interview in self.context.transcripts:
            text = self.context.transcripts[doc.interview][1]
            g.add((d, QIKG.fullText, Literal(text, lang=lang)))

        paragraphs = [
            (t, p, para)
            for t, turn in enumerate(doc.turns, 1)
            for p, para in enumerate(turn.paragraphs, 1)
        ]
        for t, turn in enumerate(doc.turns, 1):
            node = self.iris.turn(doc, t)
            g.add((node, RDF.type, QIKG.Turn))
            g.add((node, QIKG.inDocument, d))
            g.add((node, QIKG.position, _int(t)))
            g.add((node, QIKG.speakerLabel, Literal(turn.speaker_label)))
            g.add((node, QIKG.speakerRole, ROLE[turn.role]))
            g.add((node, QIKG.text, Literal(turn.text, lang=lang)))
            speaker = self._speaker(doc, turn.role, turn.speaker_number)
            if speaker is not None:
                g.add((node, QIKG.spokenBy, speaker))
            self._place(g, node, turn.line, turn.page)
        for i, (t, p, para) in enumerate(paragraphs):
            node = self.iris.paragraph(doc, t, p)
            g.add((node, RDF.type, QIKG.Paragraph))
            g.add((node, QIKG.inTurn, self.iris.turn(doc, t)))
            g.add((node, QIKG.inDocument, d))
            g.add((node, QIKG.position, _int(p)))
            g.add((node, QIKG.text, Literal(para.text, lang=lang)))
            self._place(g, node, para.line, para.page)
            if para.coded:
                before = paragraphs[i - 1][2].text if i > 0 else ""
                after = paragraphs[i + 1][2].text if i + 1 < len(paragraphs) else ""
                self._excerpt(g, doc, t, p, para, before, after, person, lang)
        return g

    def _provenance(self, g: Graph, doc: Document, d: URIRef) -> None:
        """The files the document was read from, with checksums, and the import activity."""
        records = self.context.sources.get(d) or [SourceRecord(doc.source, "", doc.format)]
        activity = URIRef(f"{d}/import")
        g.add((d, PROV.wasGeneratedBy, activity))
        g.add((activity, RDF.type, PROV.Activity))
        g.add((activity, PROV.wasAssociatedWith, SOFTWARE))
        g.add((activity, QIKG.softwareVersion, Literal(__version__)))
        for k, rec in enumerate(records, 1):
            node = URIRef(f"{d}/source/{k}")
            g.add((d, PROV.wasDerivedFrom, node))
            g.add((activity, PROV.used, node))
            g.add((node, RDF.type, QIKG.SourceFile))
            g.add((node, QIKG.fileName, Literal(rec.file)))
            g.add((node, QIKG.sourceFormat, Literal(rec.format)))
            if rec.sha256:
                g.add((node, QIKG.sha256, Literal(rec.sha256)))
        count = self.context.redactions.get(d, 0)
        if count:
            g.add((activity, QIKG.redactions, Literal(count, datatype=XSD.nonNegativeInteger)))

    def _place(self, g: Graph, node: URIRef, line: int | None, page: int | None) -> None:
        if line is not None:
            g.add((node, QIKG.sourceLine, _int(line)))
        if page is not None:
            g.add((node, QIKG.sourcePage, _int(page)))

    def _speaker(self, doc: Document, role: SpeakerRole, number: int | None) -> URIRef | None:
        if role is SpeakerRole.INTERVIEWER:
            return self.iris.interviewer(doc.interview, number)
        if role is SpeakerRole.INTERVIEWEE:
            return self.iris.participant(doc.interview)
        return None

    def _excerpt(
        self,
        g: Graph,
        doc: Document,
        t: int,
        p: int,
        para: Paragraph,
        before: str,
        after: str,
        person: URIRef | None,
        lang: str,
    ) -> None:
        x = self.iris.excerpt(doc, t, p)
        g.add((x, RDF.type, QIKG.CodedExcerpt))
        g.add((x, OA.motivatedBy, OA.classifying))
        g.add((x, QIKG.inDocument, self.iris.document(doc)))
        g.add((x, QIKG.excerptOf, self.iris.paragraph(doc, t, p)))
        if person is not None:
            g.add((x, PROV.wasAttributedTo, person))
        for written in para.codes:
            code = self.iris.code(self.codebook.lookup(written).notation)
            g.add((x, QIKG.hasCode, code))
            g.add((x, OA.hasBody, code))
            g.add((x, QIKG.codeAsWritten, Literal(written)))
        for qid in para.question_ids:
            g.add((x, QIKG.answersQuestion, self.iris.question(qid)))
            g.add((x, QIKG.questionIdAsWritten, Literal(qid)))
        spans = para.spans or ()
        pieces = (
            [(s.text, para.text[: s.start], para.text[s.end :]) for s in spans]
            if spans
            else [(para.text, before, after)]
        )
        quote = " … ".join(exact for exact, _, _ in pieces)
        g.add((x, QIKG.quote, Literal(quote, lang=lang)))
        for k, (exact, pre, post) in enumerate(pieces, 1):
            target = URIRef(f"{x}/span/{k}")
            selector = URIRef(f"{target}/quote")
            g.add((x, OA.hasTarget, target))
            g.add((target, RDF.type, OA.SpecificResource))
            g.add((target, OA.hasSource, self.iris.paragraph(doc, t, p)))
            g.add((target, OA.hasSelector, selector))
            g.add((selector, RDF.type, OA.TextQuoteSelector))
            g.add((selector, OA.exact, Literal(exact, lang=lang)))
            if pre:
                g.add((selector, OA.prefix, Literal(pre[-CONTEXT_CHARS:], lang=lang)))
            if post:
                g.add((selector, OA.suffix, Literal(post[:CONTEXT_CHARS], lang=lang)))
            self._anchor(g, doc, x, target, (t, p, k), lang)

    def _anchor(
        self, g: Graph, doc: Document, x: URIRef, target: URIRef, key: SpanKey, lang: str
    ) -> None:
        """Where the quote sits in the interview's plain transcript, when it was found."""
        found = self.context.anchors.get(self.iris.document(doc), {}).get(key)
        if found is None or doc.interview not in self.context.transcripts:
            return
        transcript, text = self.context.transcripts[doc.interview]
        node = URIRef(f"{target}/transcript")
        position = URIRef(f"{node}/position")
        quote = URIRef(f"{node}/quote")
        g.add((x, OA.hasTarget, node))
        g.add((node, RDF.type, OA.SpecificResource))
        g.add((node, OA.hasSource, self.iris.document(transcript)))
        g.add((node, QIKG.anchorMethod, Literal(found.method)))
        g.add((node, OA.hasSelector, position))
        g.add((node, OA.hasSelector, quote))
        g.add((position, RDF.type, OA.TextPositionSelector))
        g.add((position, OA.start, Literal(found.start, datatype=XSD.nonNegativeInteger)))
        g.add((position, OA.end, Literal(found.end, datatype=XSD.nonNegativeInteger)))
        pre, post = prefix_suffix(text, found.start, found.end, CONTEXT_CHARS)
        g.add((quote, RDF.type, OA.TextQuoteSelector))
        g.add((quote, OA.exact, Literal(text[found.start : found.end], lang=lang)))
        if pre:
            g.add((quote, OA.prefix, Literal(pre, lang=lang)))
        if post:
            g.add((quote, OA.suffix, Literal(post, lang=lang)))

    # --------------------------------------------------------------- interviews
    def interview_graph(self, number: int, docs: Iterable[Document]) -> Graph:
        """An interview's own facts: the study it belongs to, its guide, who took part."""
        docs = list(docs)
        g = self._graph(self.iris.interview_graph(number))
        node = self.iris.interview(number)
        info = self.study.interview(number)
        lang = self.study.interviews.get(number, {}).get("language") or (
            docs[0].language if docs else info.language
        )
        g.add((node, RDF.type, QIKG.Interview))
        g.add((node, RDFS.label, Literal(f"Interview {number}", lang="en")))
        g.add((node, QIKG.interviewNumber, _int(number)))
        g.add((node, QIKG.partOfStudy, self.iris.study_iri()))
        g.add((node, QIKG.usesGuide, self.iris.guide(info.guide)))
        g.add((node, DCTERMS.language, Literal(lang, datatype=XSD.language)))
        participant = self.iris.participant(number)
        g.add((node, QIKG.interviewee, participant))
        g.add((participant, RDF.type, QIKG.Participant))
        g.add((participant, RDFS.label, Literal(f"Participant of interview {number}", lang="en")))
        numbers = {
            t.speaker_number for d in docs for t in d.turns if t.role is SpeakerRole.INTERVIEWER
        }
        self._profile(g, number, participant)
        for k in sorted(numbers, key=lambda n: -1 if n is None else n):
            who = self.iris.interviewer(number, k)
            label = (
                f"Interviewer {k} of interview {number}"
                if k
                else f"Interviewer of interview {number}"
            )
            g.add((node, QIKG.interviewer, who))
            g.add((who, RDF.type, QIKG.Interviewer))
            g.add((who, RDFS.label, Literal(label, lang="en")))
        return g

    def _profile(self, g: Graph, number: int, participant: URIRef) -> None:
        """The participant's curated profile, each value pointing at the turn it rests on."""
        transcript = self.context.transcripts.get(number)
        for k, (value, turn) in enumerate(self.context.profiles.get(number, []), 1):
            node = URIRef(f"{participant}/profile/{k}")
            g.add((participant, QIKG.profileValue, node))
            g.add((node, RDF.type, QIKG.ProfileValue))
            g.add((node, QIKG.profileField, Literal(value.field)))
            g.add((node, QIKG.profileText, Literal(value.value, lang="en")))
            if value.note:
                g.add((node, SKOS.editorialNote, Literal(value.note, lang="en")))
            if transcript is not None and turn is not None:
                g.add((node, QIKG.evidence, self.iris.turn(transcript[0], turn)))

    # ---------------------------------------------------------- codebook, study
    def codebook_graph(
        self,
        written: Iterable[str],
        questions: Iterable[str],
        defined: Iterable[CodeDefinition] = (),
    ) -> Graph:
        """Every curated code, the uncurated codes met in ``written``, and the question ids.

        ``defined`` are the codes of an imported code book: an uncurated one gets its parent
        as ``skos:broader`` (instead of a family guessed from its name) and its description as
        ``skos:definition``; a curated code keeps what the curated codebook says.
        """
        g = self._graph(self.iris.codebook_graph())
        scheme = self.iris.codebook()
        g.add((scheme, RDF.type, QIKG.Codebook))
        g.add((scheme, SKOS.prefLabel, Literal(f"Codebook of study {self.study.id}", lang="en")))
        entries = dict(self.codebook.entries)
        for w in written:
            info = self.codebook.lookup(w)
            entries.setdefault(info.notation, info)
        imported = self._imported(defined, entries)
        for info in list(entries.values()):
            # A guessed family the codebook lacks is kept as an uncurated family concept.
            if info.family and info.family not in entries:
                entries[info.family] = CodeInfo(
                    info.family, "family", None, info.phases, curated=False
                )
        for info in entries.values():
            self._code(g, info, scheme, imported.get(info.notation))
        self._catalogue(g)
        for qid in sorted(set(questions) | set(self.curation.questions)):
            self._question(g, qid)
        return g

    def _imported(
        self, defined: Iterable[CodeDefinition], entries: dict[str, CodeInfo]
    ) -> dict[str, tuple[str | None, str | None]]:
        """Parent notation and description of each uncurated code of an imported code book."""
        out: dict[str, tuple[str | None, str | None]] = {}
        for d in defined:
            info = self.codebook.lookup(d.name)
            entries.setdefault(info.notation, info)
            if info.curated:
                continue
            parent = self.codebook.lookup(d.parent).notation if d.parent else None
            if parent is not None and parent != info.family:
                entries[info.notation] = replace(entries[info.notation], family=None)
            if parent is not None and info.kind == "family":
                # A family is a top concept; a code under another was guessed one by its name.
                entries[info.notation] = replace(entries[info.notation], kind="issue")
            out[info.notation] = (parent, d.description)
        return out

    def _catalogue(self, g: Graph) -> None:
        """The catalogue of quality issues as a concept scheme, each issue in its dimension."""
        if not self.curation.issues:
            return
        scheme = URIRef(f"{self.iris.root}/catalogue")
        g.add((scheme, RDF.type, QIKG.Catalogue))
        g.add(
            (
                scheme,
                SKOS.prefLabel,
                Literal(f"Catalogue of quality issues of study {self.study.id}", lang="en"),
            )
        )
        g.add(
            (
                scheme,
                SKOS.editorialNote,
                Literal(
                    "Issue ids I1.1..I6.3 come from the study's analysis scripts; statements are "
                    "the project's own wording.",
                    lang="en",
                ),
            )
        )
        dims = {d.id: d for d in self.curation.dimensions}
        for issue in self.curation.issues:
            node = URIRef(f"{scheme}/{issue.id}")
            g.add((node, RDF.type, QIKG.CatalogueIssue))
            g.add((node, SKOS.notation, Literal(issue.id)))
            g.add((node, SKOS.prefLabel, Literal(issue.label, lang="en")))
            g.add((node, SKOS.definition, Literal(issue.statement, lang="en")))
            g.add((node, SKOS.inScheme, scheme))
            g.add((node, SKOS.topConceptOf, scheme))
            g.add((node, QIKG.inDimension, dimension_iri(dims[issue.dimension])))
            for phase in issue.phases:
                g.add((node, QIKG.mlPhase, PHASE[phase]))

    def _question(self, g: Graph, qid: str) -> None:
        q = self.iris.question(qid)
        g.add((q, RDF.type, QIKG.GuideQuestion))
        g.add((q, SKOS.notation, Literal(qid)))
        g.add((q, RDFS.label, Literal(f"Question {qid}", lang="en")))
        info = self.curation.questions.get(qid)
        if info is None:
            g.add(
                (
                    q,
                    SKOS.editorialNote,
                    Literal(
                        "Used by the coders; not in the curated table of guide questions.",
                        lang="en",
                    ),
                )
            )
            return
        if info.phase:
            g.add((q, QIKG.mlPhase, PHASE[info.phase]))
        if info.note:
            g.add((q, SKOS.editorialNote, Literal(info.note, lang="en")))
        for guide, text in (("new", info.text_new), ("old", info.text_old)):
            if not text:
                continue
            wording = URIRef(f"{q}/{guide}")
            g.add((q, QIKG.inGuide, self.iris.guide(guide)))
            g.add((q, QIKG.hasWording, wording))
            g.add((wording, RDF.type, QIKG.QuestionWording))
            g.add((wording, QIKG.inGuide, self.iris.guide(guide)))
            g.add((wording, QIKG.questionText, Literal(text, lang="en")))

    def _code(
        self,
        g: Graph,
        info: CodeInfo,
        scheme: URIRef,
        imported: tuple[str | None, str | None] | None = None,
    ) -> None:
        c = self.iris.code(info.notation)
        parent, description = imported or (None, None)
        if parent is not None:
            g.add((c, SKOS.broader, self.iris.code(parent)))
        if description:
            g.add((c, SKOS.definition, Literal(description, lang="en")))
        g.add((c, RDF.type, KIND_CLASS[info.kind]))
        if not info.curated:
            g.add((c, RDF.type, QIKG.UncuratedCode))
        text = self.curation.code_texts.get(info.notation) if info.curated else None
        g.add((c, SKOS.notation, Literal(info.notation)))
        g.add(
            (c, SKOS.prefLabel, Literal(text.label if text else label_of(info.notation), lang="en"))
        )
        if text is not None:
            g.add((c, SKOS.definition, Literal(text.definition, lang="en")))
            if text.match:
                for issue in text.catalogue:
                    g.add((c, SKOS[text.match], URIRef(f"{self.iris.root}/catalogue/{issue}")))
        for v in info.variants:
            g.add((c, SKOS.altLabel, Literal(v)))
        g.add((c, SKOS.inScheme, scheme))
        if info.kind == "family":
            g.add((c, SKOS.topConceptOf, scheme))
        if info.family:
            g.add((c, QIKG.codeFamily, self.iris.code(info.family)))
            g.add((c, SKOS.broader, self.iris.code(info.family)))
        for phase in info.phases:
            g.add((c, QIKG.mlPhase, PHASE[phase]))
        if info.addresses:
            g.add((c, QIKG.addresses, self.iris.code(info.addresses)))
        for prop, iri in info.mappings:
            g.add((c, SKOS[prop], URIRef(iri)))

    def study_graph(self, people: Iterable[str]) -> Graph:
        """The study, its guides and its researchers."""
        g = self._graph(self.iris.study_graph())
        s = self.iris.study_iri()
        st = self.study
        g.add((s, RDF.type, QIKG.Study))
        g.add((s, DCTERMS.title, Literal(st.title, lang="en")))
        g.add((s, DCTERMS.description, Literal(st.description, lang="en")))
        g.add((s, DCTERMS.bibliographicCitation, Literal(st.citation, lang="en")))
        g.add((s, DCTERMS.rights, Literal(st.terms, lang="en")))
        if st.doi:
            g.add((s, DCTERMS.isReferencedBy, URIRef(st.doi)))
        if st.source:
            g.add((s, DCTERMS.source, URIRef(st.source)))
        g.add((s, QIKG.usesCodebook, self.iris.codebook()))
        for name, label in st.guides.items():
            guide = self.iris.guide(name)
            g.add((guide, RDF.type, QIKG.InterviewGuide))
            g.add((guide, RDFS.label, Literal(label, lang="en")))
        for person in sorted(set(people)):
            r = self.iris.researcher(person)
            g.add((r, RDF.type, QIKG.Coder))
            g.add((r, FOAF.name, Literal(person)))
            g.add((r, RDFS.label, Literal(person)))
        return g

    # ------------------------------------------------------------------ dataset
    def dataset(self, docs: list[Document]) -> Dataset:
        """All graphs of the study built from ``docs``."""
        ds = Dataset()
        bind_prefixes(ds)
        for g in self.graphs(docs):
            target = ds.graph(g.identifier)
            for triple in g:
                target.add(triple)
        return ds

    def graphs(self, docs: list[Document]) -> list[Graph]:
        """The study, codebook, interview and document graphs, in that order."""
        by_interview: dict[int, list[Document]] = {}
        for d in docs:
            by_interview.setdefault(d.interview, []).append(d)
        written = [c for d in docs for p in d.paragraphs for c in p.codes]
        questions = [q for d in docs for p in d.paragraphs for q in p.question_ids]
        people = [d.person for d in docs if d.person and d.kind is not DocumentKind.TRANSCRIPT]
        defined = {c.name: c for d in docs for c in d.codebook}.values()
        out = [self.study_graph(people), self.codebook_graph(written, questions, defined)]
        for number in sorted(by_interview):
            out.append(self.interview_graph(number, by_interview[number]))
            out.extend(self.document_graph(d) for d in by_interview[number])
        return out


def label_of(notation: str) -> str:
    """A readable label for a code notation: ``MM-drift`` gives ``MM drift``; a spaced dash
    (``THEME - Affordances``) stays."""
    text = re.sub(r"(?<=\S)-(?=\S)", " ", notation).strip()
    return text[:1].upper() + text[1:]
