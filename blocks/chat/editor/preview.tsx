import { __ } from "@wordpress/i18n";
import type { ChatAttributes } from "../attributes";
import { parseSuggestions } from "../view/suggestions";

/** Paragraphs of the welcome text (blank lines separate them; single newlines stay). */
function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * The suggested questions as the page shows them before the first question
 * (view/conversation-controls.ts builds the same group), read by the page's own
 * parseSuggestions. Inert: the preview asks nothing.
 */
function SuggestionButtons({ text }: { text: string }) {
  const questions = parseSuggestions(text);
  if (questions.length === 0) return null;
  return (
    // biome-ignore lint/a11y/useSemanticElements: the page's group is a div with role="group"; the preview matches it
    <div
      className="sluice-chat__suggestions"
      role="group"
      aria-label={__("Suggested questions", "sluice")}
    >
      {questions.map((question) => (
        <button
          key={question}
          type="button"
          className="sluice-chat__suggestion"
          tabIndex={-1}
          aria-disabled="true"
        >
          {question}
        </button>
      ))}
    </div>
  );
}

/**
 * What the chat looks like on the page, with the same classes as the live view
 * (style.css styles both): the title, the welcome bubble, the suggested questions and
 * the message field.
 */
export function ChatPreview({ attributes }: { attributes: ChatAttributes }) {
  const { title, welcome, suggestions, placeholder } = attributes;
  return (
    <>
      {title ? <h2 className="sluice-chat__title">{title}</h2> : null}
      <div className="sluice-chat__log">
        {welcome ? (
          <div className="sluice-chat__message sluice-chat__message--assistant">
            <div className="sluice-chat__bubble">
              {paragraphs(welcome).map((paragraph, index) => (
                <p key={index} style={{ whiteSpace: "pre-line" }}>
                  {paragraph}
                </p>
              ))}
            </div>
          </div>
        ) : null}
      </div>
      <SuggestionButtons text={suggestions} />
      <div className="sluice-chat__form">
        <textarea
          className="sluice-chat__input"
          rows={1}
          placeholder={placeholder}
          aria-label={__("Your message (preview)", "sluice")}
          readOnly
          tabIndex={-1}
        />
        <button type="button" className="sluice-chat__send" tabIndex={-1} aria-disabled="true">
          {__("Send", "sluice")}
        </button>
      </div>
    </>
  );
}
