<?php
/**
 * Spend today and this month against the caps, as the gateway last reported it
 * (GET /v1/policy), cached in a transient for a few minutes so that the admin
 * notice does not call the gateway on every admin page. The policy routes
 * refresh it whenever they hear from the gateway; a gateway that cannot be
 * reached is remembered for the same time, so it is not asked again on each page.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Spend_Status {

	public const TRANSIENT = 'sluice_spend_status';

	/**
	 * The AI Client's model list cache (Ai_Model_Directory, WordPress 7.0+), named here:
	 * that class implements an interface older WordPress lacks, so it is never loaded there.
	 */
	public const AI_MODELS_TRANSIENT = 'sluice_ai_models';
	public const TTL       = 5 * MINUTE_IN_SECONDS;

	/** The notice waits at most this long for the gateway (seconds), once per TTL. */
	private const TIMEOUT = 3;

	public function __construct( private Gateway_Client $gateway ) {
	}

	/**
	 * Remembers what a GET or PUT /v1/policy answered.
	 *
	 * @param array<string, mixed> $policy The gateway's policy answer.
	 */
	public function remember( array $policy ): void {
		// The AI Client's cap check and model list (WordPress 7.0+) ask the gateway again too.
		delete_transient( Ai_Spend_Guard::TRANSIENT );
		delete_transient( self::AI_MODELS_TRANSIENT );
		$spend = is_array( $policy['spend'] ?? null ) ? $policy['spend'] : array();
		$today = is_array( $spend['today'] ?? null ) ? $spend['today'] : null;
		$month = is_array( $spend['month'] ?? null ) ? $spend['month'] : null;
		$soft  = $policy['effective']['soft_threshold'] ?? null;
		set_transient(
			self::TRANSIENT,
			array(
				'ok'             => null !== $today && null !== $month,
				'today'          => $today,
				'month'          => $month,
				'soft_threshold' => is_numeric( $soft ) ? (float) $soft : null,
			),
			self::TTL
		);
	}

	/**
	 * The cached status, fetched from the gateway when the cache is empty or stale.
	 * Null when the gateway is not set up or could not tell.
	 *
	 * @return array{ok: bool, today: array<string, mixed>|null, month: array<string, mixed>|null, soft_threshold: float|null}|null
	 */
	public function current(): ?array {
		if ( ! $this->gateway->is_configured() ) {
			return null;
		}
		$cached = get_transient( self::TRANSIENT );
		if ( ! is_array( $cached ) ) {
			$policy = $this->gateway->json( 'GET', '/v1/policy', null, self::TIMEOUT );
			$this->remember( is_wp_error( $policy ) ? array() : $policy );
			$cached = get_transient( self::TRANSIENT );
		}
		return is_array( $cached ) && ! empty( $cached['ok'] ) ? $cached : null;
	}

	public function forget(): void {
		delete_transient( self::TRANSIENT );
	}
}
