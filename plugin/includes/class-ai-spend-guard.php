<?php
/**
 * The site's caps over every AI Client prompt (wp_ai_client_prevent_prompt):
 * once today's or this month's spend has reached its cap, prompts are refused,
 * whichever provider would answer them. Spend comes from the gateway's
 * GET /v1/policy, cached for a minute (a reached cap for 15 seconds) and
 * forgotten whenever a prompt was answered or the policy changed through
 * WordPress, so the prompt after the one that reached the cap is refused.
 *
 * A gateway that cannot be asked does not stop prompts to other providers
 * (the Sluice provider's own prompts fail at the gateway anyway).
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Ai_Spend_Guard {

	public const TRANSIENT    = 'sluice_ai_spend';
	private const TTL         = MINUTE_IN_SECONDS;
	private const REACHED_TTL = 15;
	private const TIMEOUT     = 3;

	public function __construct( private Gateway_Client $gateway ) {
	}

	/**
	 * @param mixed $prevent Whether another filter already prevents the prompt.
	 */
	public function prevent( mixed $prevent ): bool {
		return (bool) $prevent || $this->cap_reached();
	}

	public function cap_reached(): bool {
		if ( ! $this->gateway->is_configured() ) {
			return false;
		}
		$cached = get_transient( self::TRANSIENT );
		if ( is_array( $cached ) && is_bool( $cached['reached'] ?? null ) ) {
			return $cached['reached'];
		}
		$policy  = $this->gateway->json( 'GET', '/v1/policy', null, self::TIMEOUT );
		$reached = ! is_wp_error( $policy ) && self::any_cap_reached( $policy );
		set_transient(
			self::TRANSIENT,
			array(
				'reached'     => $reached,
				'unreachable' => is_wp_error( $policy ),
			),
			$reached ? self::REACHED_TTL : self::TTL
		);
		return $reached;
	}

	/**
	 * Spend changed (a prompt was answered): ask the gateway again next time. A gateway
	 * that could not be asked is not asked again before its minute is up, so prompts to
	 * other providers do not each wait on it.
	 */
	public function forget(): void {
		$cached = get_transient( self::TRANSIENT );
		if ( ! is_array( $cached ) || empty( $cached['unreachable'] ) ) {
			delete_transient( self::TRANSIENT );
		}
		delete_transient( Spend_Status::TRANSIENT );
	}

	/**
	 * @param array<string, mixed> $policy The gateway's GET /v1/policy answer.
	 */
	private static function any_cap_reached( array $policy ): bool {
		$spend = is_array( $policy['spend'] ?? null ) ? $policy['spend'] : array();
		foreach ( array( 'today', 'month' ) as $period ) {
			$status = is_array( $spend[ $period ] ?? null ) ? $spend[ $period ] : array();
			$cap    = $status['cap_usd'] ?? null;
			if ( ! is_numeric( $cap ) ) {
				continue;
			}
			$used = (float) ( $status['settled_usd'] ?? 0 ) + (float) ( $status['reserved_usd'] ?? 0 );
			if ( $used >= (float) $cap ) {
				return true;
			}
		}
		return false;
	}
}
