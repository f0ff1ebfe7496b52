/** The attributes of sluice/chat, as declared in block.json. */
export interface ChatAttributes {
  [key: string]: unknown;
  blockId: string;
  title: string;
  welcome: string;
  systemPrompt: string;
  model: string;
  maxTokens: number;
  placeholder: string;
}
