import {
  Button,
  Card,
  CardBody,
  CardHeader,
  Notice,
  Spinner,
  TextControl,
} from "@wordpress/components";
import { useCallback, useEffect, useState } from "@wordpress/element";
import { __, sprintf } from "@wordpress/i18n";
import { errorMessage } from "../lib/api";
import { adminLocale, formatDateTime, formatUsd } from "../lib/format";
import {
  deleteConversation,
  fetchConversation,
  fetchTranscriptSettings,
  fetchTranscripts,
  saveTranscriptSettings,
  type TranscriptConversation,
  type TranscriptList,
} from "../lib/transcripts-api";

type Loaded =
  | { state: "loading" }
  | { state: "ready"; list: TranscriptList }
  | { state: "failed"; message: string };

/**
 * "Transcripts": the conversations of Chat blocks whose "Keep transcripts" is on, kept by
 * the gateway: search, each conversation's cost, open one, delete one, and how many days
 * they are kept.
 */
export function TranscriptsPanel() {
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  const [open, setOpen] = useState<TranscriptConversation | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    let current = true;
    fetchTranscripts(query, 1).then(
      (list) => current && setLoaded({ state: "ready", list }),
      async (error: unknown) => {
        const message = await errorMessage(error);
        if (current) setLoaded({ state: "failed", message });
      },
    );
    return () => {
      current = false;
    };
  }, [query]);
  useEffect(load, [load]);

  const show = async (id: string) => {
    setProblem(null);
    try {
      setOpen(await fetchConversation(id));
    } catch (error) {
      setProblem(await errorMessage(error));
    }
  };
  const remove = async (id: string) => {
    setProblem(null);
    try {
      await deleteConversation(id);
      if (open?.conversation_id === id) setOpen(null);
      load();
    } catch (error) {
      setProblem(await errorMessage(error));
    }
  };
  const locale = adminLocale();

  return (
    <Card className="sluice-admin__panel sluice-transcripts">
      <CardHeader>
        <h2 className="sluice-admin__panel-title">{__("Transcripts", "sluice")}</h2>
      </CardHeader>
      <CardBody className="sluice-admin__fields">
        <p className="sluice-admin__intro">
          {__(
            "Conversations of the Chat blocks whose \"Keep transcripts\" setting is on (it is off by default). The gateway keeps each question and answer with the visitor's hashed id, never an IP address, and deletes them after the retention below. WordPress's Export and Erase Personal Data tools include them.",
            "sluice",
          )}
        </p>
        <RetentionField />
        <form
          className="sluice-transcripts__search"
          onSubmit={(event) => {
            event.preventDefault();
            setQuery(search.trim());
          }}
        >
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            label={__("Search transcripts", "sluice")}
            value={search}
            onChange={setSearch}
          />
          <Button variant="secondary" type="submit">
            {__("Search", "sluice")}
          </Button>
        </form>
        {problem ? (
          <Notice status="error" isDismissible={false}>
            {problem}
          </Notice>
        ) : null}
        {loaded.state === "loading" ? (
          <p className="sluice-admin__loading">
            <Spinner /> {__("Asking the gateway…", "sluice")}
          </p>
        ) : null}
        {loaded.state === "failed" ? (
          <Notice status="error" isDismissible={false}>
            {__("The transcripts could not be read:", "sluice")} {loaded.message}
          </Notice>
        ) : null}
        {loaded.state === "ready" && loaded.list.data.length === 0 ? (
          <p>{__("No kept conversations.", "sluice")}</p>
        ) : null}
        {loaded.state === "ready" && loaded.list.data.length > 0 ? (
          <table className="widefat striped sluice-transcripts__list">
            <thead>
              <tr>
                <th scope="col">{__("Last message", "sluice")}</th>
                <th scope="col">{__("First question", "sluice")}</th>
                <th scope="col">{__("Turns", "sluice")}</th>
                <th scope="col">{__("Cost", "sluice")}</th>
                <th scope="col">{__("Actions", "sluice")}</th>
              </tr>
            </thead>
            <tbody>
              {loaded.list.data.map((row) => (
                <tr key={row.conversation_id} data-conversation={row.conversation_id}>
                  <td>{formatDateTime(row.last_at, locale)}</td>
                  <td>{row.first_question}</td>
                  <td>{row.turns}</td>
                  <td>{formatUsd(row.cost_usd, locale)}</td>
                  <td>
                    <Button variant="link" onClick={() => void show(row.conversation_id)}>
                      {__("Open", "sluice")}
                    </Button>{" "}
                    <Button
                      variant="link"
                      isDestructive
                      onClick={() => void remove(row.conversation_id)}
                    >
                      {__("Delete", "sluice")}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {open ? <Conversation conversation={open} locale={locale} /> : null}
      </CardBody>
    </Card>
  );
}

function Conversation({
  conversation,
  locale,
}: {
  conversation: TranscriptConversation;
  locale: string | undefined;
}) {
  return (
    <section className="sluice-transcripts__conversation" aria-label={__("Conversation", "sluice")}>
      <h3>
        {sprintf(
          /* translators: 1: cost in US dollars, 2: the visitor's hashed id */
          __("Conversation: %1$s, visitor %2$s", "sluice"),
          formatUsd(conversation.cost_usd, locale),
          conversation.visitor ?? __("unknown", "sluice"),
        )}
      </h3>
      {conversation.turns.map((turn) => (
        <div key={turn.request_id} className="sluice-transcripts__turn">
          <p>
            <strong>{__("Question:", "sluice")}</strong> {turn.question}
          </p>
          <p>
            <strong>{__("Answer:", "sluice")}</strong> {turn.answer}
          </p>
          <p className="description">
            {formatDateTime(turn.at, locale)} · {formatUsd(turn.cost_usd, locale)}
          </p>
        </div>
      ))}
    </section>
  );
}

function RetentionField() {
  const [days, setDays] = useState("");
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    fetchTranscriptSettings().then(
      (settings) => setDays(String(settings.retention_days)),
      async (error: unknown) => setNote({ ok: false, text: await errorMessage(error) }),
    );
  }, []);
  const save = async () => {
    try {
      const saved = await saveTranscriptSettings({ retention_days: Number(days) });
      setDays(String(saved.retention_days));
      setNote({ ok: true, text: __("Retention saved.", "sluice") });
    } catch (error) {
      setNote({ ok: false, text: await errorMessage(error) });
    }
  };
  return (
    <div className="sluice-transcripts__retention">
      <TextControl
        __nextHasNoMarginBottom
        __next40pxDefaultSize
        type="number"
        min={1}
        max={3650}
        label={__("Keep transcripts for (days)", "sluice")}
        value={days}
        onChange={setDays}
      />
      <Button variant="secondary" onClick={() => void save()}>
        {__("Save retention", "sluice")}
      </Button>
      {note ? (
        <Notice status={note.ok ? "success" : "error"} isDismissible={false}>
          {note.text}
        </Notice>
      ) : null}
    </div>
  );
}
