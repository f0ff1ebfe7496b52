<?php
/**
 * Meters AI Client calls that another provider answered
 * (wp_ai_client_after_generate_result): the tokens that provider reported go to
 * the gateway's POST /v1/external-usage, which prices them from its table,
 * writes a ledger row with the calling plugin as `source` and charges the caps.
 *
 * Exact: the token counts, when the provider reported them. Estimated: the cost
 * (the gateway's list price, not the provider's bill: no discounts, no cache
 * prices, the protective unpriced rates for a model the table does not know),
 * and the tokens of a provider that reported none (a quarter of the characters).
 *
 * @package Sluice
 */

namespace Sluice;

use WordPress\AiClient\Events\AfterGenerateResultEvent;
use WordPress\AiClient\Results\DTO\GenerativeAiResult;

defined( 'ABSPATH' ) || exit;

final class Ai_Usage_Recorder {

	private const TIMEOUT = 5;

	public function __construct( private Gateway_Client $gateway, private Ai_Spend_Guard $guard ) {
	}

	public function record( mixed $event ): void {
		if ( ! $event instanceof AfterGenerateResultEvent ) {
			return;
		}
		$result = $event->getResult();
		// The gateway's own answers are in the ledger already.
		if ( Ai_Client::PROVIDER_ID !== $result->getProviderMetadata()->getId() && $this->gateway->is_configured() ) {
			$this->gateway->request( 'POST', '/v1/external-usage', self::report( $event, $result ), self::TIMEOUT );
		}
		$this->guard->forget();
	}

	/** @return array<string, mixed> */
	private static function report( AfterGenerateResultEvent $event, GenerativeAiResult $result ): array {
		$usage  = $result->getTokenUsage();
		$input  = max( 0, $usage->getPromptTokens() );
		$output = max( 0, $usage->getCompletionTokens() );
		$source = 'reported';
		if ( 0 === $input + $output ) {
			$source = 'estimated';
			$input  = self::estimate( self::text_of_messages( $event->getMessages() ) );
			$output = self::estimate( self::text_of_result( $result ) );
		}
		$report = array(
			'source'        => Ai_Source::detect(),
			'provider'      => (string) preg_replace( '/[^a-z0-9_-]/', '-', strtolower( $result->getProviderMetadata()->getId() ) ),
			'model'         => substr( (string) preg_replace( '/[^A-Za-z0-9._:\/@-]/', '-', $result->getModelMetadata()->getId() ), 0, 200 ),
			'input_tokens'  => $input,
			'output_tokens' => $output,
			'usage_source'  => $source,
		);
		$thought = $usage->getThoughtTokens();
		if ( null !== $thought && $thought > 0 ) {
			$report['reasoning_tokens'] = $thought;
		}
		$candidates = $result->getCandidates();
		if ( isset( $candidates[0] ) ) {
			$report['finish_reason'] = $candidates[0]->getFinishReason()->value;
		}
		return $report;
	}

	private static function estimate( string $text ): int {
		return (int) ceil( mb_strlen( $text ) / 4 );
	}

	/** @param list<\WordPress\AiClient\Messages\DTO\Message> $messages */
	private static function text_of_messages( array $messages ): string {
		$text = '';
		foreach ( $messages as $message ) {
			foreach ( $message->getParts() as $part ) {
				$text .= (string) $part->getText();
			}
		}
		return $text;
	}

	private static function text_of_result( GenerativeAiResult $result ): string {
		$text = '';
		foreach ( $result->getCandidates() as $candidate ) {
			foreach ( $candidate->getMessage()->getParts() as $part ) {
				$text .= (string) $part->getText();
			}
		}
		return $text;
	}
}
