import { InspectorControls, useBlockProps } from "@wordpress/block-editor";
import type { BlockEditProps } from "@wordpress/blocks";
import { PanelBody, RangeControl, TextareaControl, TextControl } from "@wordpress/components";
import { useEffect } from "@wordpress/element";
import { __ } from "@wordpress/i18n";
import { ATTRIBUTE_DEFAULTS, type ChatAttributes } from "./attributes";
import { editorBlockIds, generateBlockId } from "./editor/block-id";
import { DailyLimitControl } from "./editor/daily-limit";
import { ModelPicker, useGatewayModels } from "./editor/model-picker";
import { ChatPreview } from "./editor/preview";
import { PrivacyPanel } from "./editor/privacy-panel";

const MIN_ANSWER_TOKENS = 16;
const DEFAULT_MAX_ANSWER_TOKENS = 8192;

/** Gives the block an id of its own: once when it has none, again when it is a copy. */
function useOwnBlockId(
  blockId: string,
  clientId: string,
  setAttributes: (attributes: Partial<ChatAttributes>) => void,
): void {
  useEffect(() => {
    if (!blockId || !editorBlockIds.claim(blockId, clientId)) {
      setAttributes({ blockId: generateBlockId() });
      return;
    }
    return () => editorBlockIds.release(blockId, clientId);
  }, [blockId, clientId, setAttributes]);
}

export default function Edit({
  attributes,
  setAttributes,
  clientId,
}: BlockEditProps<ChatAttributes>) {
  const { blockId, title, welcome, suggestions, systemPrompt, model, maxTokens, placeholder } =
    attributes;
  useOwnBlockId(blockId, clientId, setAttributes);
  const models = useGatewayModels();
  const selected =
    models.state === "ready" ? models.models.find((entry) => entry.id === model) : undefined;
  const maxAnswer = selected?.max_output_tokens ?? DEFAULT_MAX_ANSWER_TOKENS;
  const blockProps = useBlockProps({ className: "sluice-chat" });

  return (
    <>
      <InspectorControls>
        <PanelBody title={__("Chat", "sluice")}>
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Title", "sluice")}
            value={title}
            onChange={(next) => setAttributes({ title: next })}
          />
          <TextareaControl
            __nextHasNoMarginBottom
            label={__("Welcome message", "sluice")}
            help={__("Shown as the first bubble. It is not sent to the model.", "sluice")}
            value={welcome}
            onChange={(next) => setAttributes({ welcome: next })}
          />
          <TextareaControl
            __nextHasNoMarginBottom
            label={__("Suggested questions", "sluice")}
            help={__(
              "One per line, at most four. Shown as buttons until the visitor's first question; a click asks it.",
              "sluice",
            )}
            value={suggestions}
            onChange={(next) => setAttributes({ suggestions: next })}
          />
          <TextControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Placeholder", "sluice")}
            value={placeholder}
            onChange={(next) => setAttributes({ placeholder: next })}
          />
        </PanelBody>
        <PanelBody title={__("Answers", "sluice")}>
          <TextareaControl
            __nextHasNoMarginBottom
            label={__("System prompt", "sluice")}
            help={__(
              "Instructions for the model, e.g. its tone and what it may talk about. It stays on the server: visitors never see it.",
              "sluice",
            )}
            rows={6}
            value={systemPrompt}
            onChange={(next) => setAttributes({ systemPrompt: next })}
          />
          <ModelPicker
            value={model}
            list={models}
            onChange={(next) => setAttributes({ model: next })}
          />
          <RangeControl
            __next40pxDefaultSize
            __nextHasNoMarginBottom
            label={__("Maximum answer length (tokens)", "sluice")}
            help={__(
              "About three quarters of a word per token. Longer answers cost more.",
              "sluice",
            )}
            value={maxTokens}
            min={MIN_ANSWER_TOKENS}
            max={Math.max(maxAnswer, maxTokens)}
            step={16}
            withInputField
            onChange={(next) => setAttributes({ maxTokens: next ?? ATTRIBUTE_DEFAULTS.maxTokens })}
          />
          <DailyLimitControl
            value={attributes.dailyQuestions}
            onChange={(next) => setAttributes({ dailyQuestions: next })}
          />
        </PanelBody>
        <PrivacyPanel
          memoryDays={attributes.memoryDays}
          keepTranscripts={attributes.keepTranscripts}
          onChange={setAttributes}
        />
      </InspectorControls>
      <div {...blockProps}>
        <ChatPreview attributes={attributes} />
      </div>
    </>
  );
}
