<?php
/**
 * One Sluice model for the AI Client: a prompt becomes a signed buffered chat
 * (POST /v1/chat, "stream": false) with the calling plugin as its `source` (and,
 * for an anonymous visitor's page view, their visitor id as `user`), and
 * the gateway's answer becomes the AI Client's result, with its token usage and,
 * in additionalData, the ledger's request id and cost.
 *
 * @package Sluice
 */

namespace Sluice;

use WordPress\AiClient\Common\Exception\InvalidArgumentException;
use WordPress\AiClient\Messages\DTO\Message;
use WordPress\AiClient\Messages\DTO\MessagePart;
use WordPress\AiClient\Messages\DTO\ModelMessage;
use WordPress\AiClient\Providers\DTO\ProviderMetadata;
use WordPress\AiClient\Providers\Http\Exception\ClientException;
use WordPress\AiClient\Providers\Http\Exception\NetworkException;
use WordPress\AiClient\Providers\Http\Exception\ServerException;
use WordPress\AiClient\Providers\Models\Contracts\ModelInterface;
use WordPress\AiClient\Providers\Models\DTO\ModelConfig;
use WordPress\AiClient\Providers\Models\DTO\ModelMetadata;
use WordPress\AiClient\Providers\Models\TextGeneration\Contracts\TextGenerationModelInterface;
use WordPress\AiClient\Results\DTO\Candidate;
use WordPress\AiClient\Results\DTO\GenerativeAiResult;
use WordPress\AiClient\Results\DTO\TokenUsage;
use WordPress\AiClient\Results\Enums\FinishReasonEnum;

defined( 'ABSPATH' ) || exit;

final class Ai_Model implements ModelInterface, TextGenerationModelInterface {

	/** Seconds the gateway has for a whole buffered answer (filter sluice_ai_client_timeout). */
	private const TIMEOUT = 120;

	private ModelConfig $config;

	public function __construct(
		private ModelMetadata $model_metadata,
		private ProviderMetadata $provider_metadata,
		private Gateway_Client $gateway,
	) {
		$this->config = new ModelConfig();
	}

	public function metadata(): ModelMetadata {
		return $this->model_metadata;
	}

	public function providerMetadata(): ProviderMetadata {
		return $this->provider_metadata;
	}

	public function setConfig( ModelConfig $config ): void {
		$this->config = $config;
	}

	public function getConfig(): ModelConfig {
		return $this->config;
	}

	/**
	 * @param list<Message> $prompt The conversation, oldest first.
	 */
	public function generateTextResult( array $prompt ): GenerativeAiResult {
		$body   = $this->chat_body( $prompt );
		$answer = $this->gateway->request( 'POST', '/v1/chat', $body, (int) apply_filters( 'sluice_ai_client_timeout', self::TIMEOUT ) );
		if ( is_wp_error( $answer ) ) {
			throw new NetworkException( esc_html( $answer->get_error_code() . ': ' . $answer->get_error_message() ) );
		}
		if ( ! $answer->ok() ) {
			$refusal = Gateway_Errors::for_visitor( Gateway_Errors::from_gateway( $answer->status, $answer->body ) );
			$message = esc_html( $refusal->get_error_code() . ': ' . $refusal->get_error_message() );
			if ( $answer->status >= 500 ) {
				throw new ServerException( $message, $answer->status ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped
			}
			throw new ClientException( $message, $answer->status ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped
		}
		$json = $answer->json();
		if ( null === $json || ! is_string( $json['content'] ?? null ) ) {
			throw new ServerException( 'sluice_unavailable: the gateway answered with something other than a buffered answer', 502 );
		}
		return $this->result( $json );
	}

	/**
	 * The gateway's chat body: the system instruction, then the conversation's text.
	 *
	 * @param list<Message> $prompt The conversation.
	 * @return array<string, mixed>
	 */
	private function chat_body( array $prompt ): array {
		$messages = array();
		$system   = $this->config->getSystemInstruction();
		if ( null !== $system && '' !== trim( $system ) ) {
			$messages[] = array(
				'role'    => 'system',
				'content' => $system,
			);
		}
		foreach ( $prompt as $message ) {
			$texts = array();
			foreach ( $message->getParts() as $part ) {
				if ( ! $part->getType()->isText() ) {
					throw new InvalidArgumentException( 'Sluice answers text prompts only (no files or function calls).' );
				}
				if ( $part->getChannel()->isContent() ) {
					$texts[] = (string) $part->getText();
				}
			}
			$text = trim( implode( "\n", $texts ) );
			if ( '' === $text ) {
				continue;
			}
			$messages[] = array(
				'role'    => $message->getRole()->isModel() ? 'assistant' : 'user',
				'content' => $text,
			);
		}
		$body = array(
			'messages' => $messages,
			'model'    => $this->model_metadata->getId(),
			'stream'   => false,
			'source'   => Ai_Source::detect(),
		);
		$visitor = self::anonymous_visitor();
		if ( null !== $visitor ) {
			$body['user'] = $visitor;
		}
		if ( null !== $this->config->getMaxTokens() ) {
			$body['max_tokens'] = $this->config->getMaxTokens();
		}
		if ( null !== $this->config->getTemperature() ) {
			$body['temperature'] = $this->config->getTemperature();
		}
		return $body;
	}

	/**
	 * The visitor id of an anonymous visitor whose page view made the prompt (a
	 * plugin's public AI feature), so the per-visitor cap holds them as it holds the
	 * Chat block's visitors. None for logged-in users, cron and the command line:
	 * only the site's caps apply to those.
	 */
	private static function anonymous_visitor(): ?string {
		if ( wp_doing_cron() || ( defined( 'WP_CLI' ) && WP_CLI ) || empty( $_SERVER['REMOTE_ADDR'] ) ) {
			return null;
		}
		$visitor = new Visitor_Id();
		return $visitor->is_anonymous() ? $visitor->current() : null;
	}

	/**
	 * @param array<string, mixed> $answer The gateway's buffered answer.
	 */
	private function result( array $answer ): GenerativeAiResult {
		$usage     = is_array( $answer['usage'] ?? null ) ? $answer['usage'] : array();
		$input     = (int) ( $usage['input_tokens'] ?? 0 );
		$output    = (int) ( $usage['output_tokens'] ?? 0 );
		$reasoning = (int) ( $usage['reasoning_tokens'] ?? 0 );
		$candidate = new Candidate(
			new ModelMessage( array( new MessagePart( (string) $answer['content'] ) ) ),
			self::finish_reason( $answer['finish_reason'] ?? null )
		);
		return new GenerativeAiResult(
			(string) ( $answer['request_id'] ?? '' ),
			array( $candidate ),
			new TokenUsage( $input, $output, $input + $output, $reasoning > 0 ? $reasoning : null ),
			$this->provider_metadata,
			$this->model_metadata,
			array(
				'sluice_request_id' => $answer['request_id'] ?? null,
				'sluice_model'      => ( $answer['provider'] ?? '' ) . '/' . ( $answer['model'] ?? '' ),
				'cost_usd'          => $usage['cost_usd'] ?? null,
				'usage_source'      => $usage['usage_source'] ?? null,
			)
		);
	}

	private static function finish_reason( mixed $reason ): FinishReasonEnum {
		return match ( $reason ) {
			'length' => FinishReasonEnum::length(),
			'content_filter' => FinishReasonEnum::contentFilter(),
			'tool_calls' => FinishReasonEnum::toolCalls(),
			'error', 'aborted' => FinishReasonEnum::error(),
			default => FinishReasonEnum::stop(),
		};
	}
}
