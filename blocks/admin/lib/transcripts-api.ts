import apiFetch from "@wordpress/api-fetch";
import type {
  TranscriptConversation,
  TranscriptDeletion,
  TranscriptList,
  TranscriptSettings,
} from "../../../contract/transcripts";

export type { TranscriptConversation, TranscriptList, TranscriptSettings };

/** One page of kept conversations, newest first; `search` matches questions and answers. */
export function fetchTranscripts(
  search: string,
  page: number,
  perPage = 20,
): Promise<TranscriptList> {
  const query = new URLSearchParams({ search, page: String(page), per_page: String(perPage) });
  return apiFetch<TranscriptList>({ path: `/sluice/v1/transcripts?${query.toString()}` });
}

export function fetchConversation(id: string): Promise<TranscriptConversation> {
  return apiFetch<TranscriptConversation>({
    path: `/sluice/v1/transcripts/conversations/${encodeURIComponent(id)}`,
  });
}

export function deleteConversation(id: string): Promise<TranscriptDeletion> {
  return apiFetch<TranscriptDeletion>({
    path: `/sluice/v1/transcripts/conversations/${encodeURIComponent(id)}`,
    method: "DELETE",
  });
}

export function fetchTranscriptSettings(): Promise<TranscriptSettings> {
  return apiFetch<TranscriptSettings>({ path: "/sluice/v1/transcripts/settings" });
}

export function saveTranscriptSettings(settings: TranscriptSettings): Promise<TranscriptSettings> {
  return apiFetch<TranscriptSettings>({
    path: "/sluice/v1/transcripts/settings",
    method: "POST",
    data: settings,
  });
}
