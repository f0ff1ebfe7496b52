<?php
/**
 * Cloudflare Turnstile, optional: once the admin has set both a site key and a
 * secret (Settings), every chat and ticket request must carry a
 * `turnstile_token` from the widget, and Chat_Admission has it checked here,
 * server-side, before anything goes to the gateway.
 *
 * The check is POST {siteverify} with `secret`, `response` (the token) and
 * `remoteip` (the visitor's address, as Visitor_Id reads it: REMOTE_ADDR or the
 * `sluice_visitor_ip` filter). It fails closed: a siteverify that cannot be
 * reached within TIMEOUT_SECONDS, answers other than 200 with JSON, or refuses
 * the site's secret refuses the question (sluice_turnstile_unavailable).
 *
 * The siteverify URL is Cloudflare's unless the constant
 * SLUICE_TURNSTILE_SITEVERIFY_URL or the filter `sluice_turnstile_siteverify_url`
 * says otherwise (tests point it at a local fake).
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Turnstile {

	public const SITEVERIFY_URL  = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
	public const TIMEOUT_SECONDS = 5;

	/** Cloudflare's tokens are at most 2048 characters. */
	public const TOKEN_MAX_LENGTH = 2048;

	/** Siteverify's error codes that say the site's secret, not the visitor's token, is wrong. */
	private const SECRET_ERRORS = array( 'missing-input-secret', 'invalid-input-secret' );

	public function __construct( private Settings $settings ) {
	}

	/** The site key the page's widget needs, or '' while Turnstile is off (render.php prints it as `turnstileSiteKey`). */
	public static function page_site_key(): string {
		return ( new self( new Settings() ) )->site_key();
	}

	/** Whether questions need a token: a site key and a secret are both set. */
	public function is_enabled(): bool {
		return '' !== $this->settings->turnstile_site_key() && null !== $this->settings->turnstile_secret();
	}

	/** The site key while Turnstile is on, else ''. */
	public function site_key(): string {
		return $this->is_enabled() ? $this->settings->turnstile_site_key() : '';
	}

	/** Where tokens are checked: Cloudflare's siteverify unless the constant or the filter says otherwise. */
	public static function siteverify_url(): string {
		$url = defined( 'SLUICE_TURNSTILE_SITEVERIFY_URL' ) && is_string( constant( 'SLUICE_TURNSTILE_SITEVERIFY_URL' ) )
			? (string) constant( 'SLUICE_TURNSTILE_SITEVERIFY_URL' )
			: self::SITEVERIFY_URL;
		$filtered = apply_filters( 'sluice_turnstile_siteverify_url', $url );
		return is_string( $filtered ) && '' !== $filtered ? $filtered : $url;
	}

	/**
	 * Checks the request's token when Turnstile is on; true when it is off.
	 *
	 * @param mixed $token The request's `turnstile_token`.
	 * @return true|WP_Error
	 */
	public function verify( mixed $token ): bool|WP_Error {
		if ( ! $this->is_enabled() ) {
			return true;
		}
		if ( ! is_string( $token ) || '' === trim( $token ) ) {
			return Error_Codes::wp_error( Error_Codes::SLUICE_TURNSTILE_MISSING, __( 'Please complete the security check, then send your question again.', 'sluice' ) );
		}
		if ( strlen( $token ) > self::TOKEN_MAX_LENGTH ) {
			return $this->invalid();
		}
		$fields = array(
			'secret'   => (string) $this->settings->turnstile_secret(),
			'response' => $token,
		);
		$address = $this->visitor_address();
		if ( null !== $address ) {
			$fields['remoteip'] = $address;
		}
		$answer = wp_remote_post(
			self::siteverify_url(),
			array(
				'timeout'     => self::TIMEOUT_SECONDS,
				'redirection' => 0,
				'body'        => $fields,
			)
		);
		if ( is_wp_error( $answer ) || 200 !== wp_remote_retrieve_response_code( $answer ) ) {
			return $this->unavailable();
		}
		$result = json_decode( wp_remote_retrieve_body( $answer ), true );
		if ( ! is_array( $result ) || ! array_key_exists( 'success', $result ) ) {
			return $this->unavailable();
		}
		if ( true === $result['success'] ) {
			return true;
		}
		$codes = is_array( $result['error-codes'] ?? null ) ? $result['error-codes'] : array();
		if ( array_intersect( self::SECRET_ERRORS, $codes ) ) {
			return $this->unavailable();
		}
		return $this->invalid();
	}

	private function invalid(): WP_Error {
		return Error_Codes::wp_error( Error_Codes::SLUICE_TURNSTILE_INVALID, __( 'The security check did not pass. Please complete it again, then resend your question.', 'sluice' ) );
	}

	private function unavailable(): WP_Error {
		return Error_Codes::wp_error( Error_Codes::SLUICE_TURNSTILE_UNAVAILABLE, __( 'The security check cannot be verified right now. Please try again in a moment.', 'sluice' ) );
	}

	/** The visitor's address as Visitor_Id counts it (REMOTE_ADDR or the `sluice_visitor_ip` filter), or null. */
	private function visitor_address(): ?string {
		$remote   = isset( $_SERVER['REMOTE_ADDR'] ) && is_string( $_SERVER['REMOTE_ADDR'] ) ? Ip_Address::normalize( sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) ) : null;
		$filtered = apply_filters( 'sluice_visitor_ip', $remote ?? '' );
		$address  = is_string( $filtered ) ? Ip_Address::normalize( $filtered ) : null;
		return $address ?? $remote;
	}
}
