<?php
/**
 * The chat ticket of direct mode (docs/wire-format.md, "Direct chat"): what lets
 * a visitor's browser run one chat at the gateway itself, so that no PHP worker
 * is held while the model writes.
 *
 * - X-Sluice-Ticket: v1.<P>.<M>, where P is base64url (no padding) of the JSON
 *   payload {site, nonce, iat, exp, origin} and M = hex(HMAC-SHA256(secret,
 *   "ticket.v1." + P));
 * - the request body {"sealed": S}, where S is base64url of iv ‖ ciphertext ‖ tag:
 *   ChaCha20-Poly1305 (IETF) of the exact chat body, with P as associated data,
 *   under HKDF-SHA256(secret, info "sluice ticket body v1", 32 bytes). Sealed, so
 *   the browser can neither read nor change the system prompt, the model, the
 *   answer length or the visitor id; bound to P, so it goes with this ticket only.
 *
 * Pure functions (sodium is native or WordPress's polyfill); test/plugin checks
 * them against test/fixtures/ticket-vector.json.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Ticket {

	/** Seconds a ticket lives: the gateway allows at most 60. */
	public const LIFETIME = 60;

	public const BODY_KEY_INFO = 'sluice ticket body v1';

	private const MAC_PREFIX = 'ticket.v1.';

	/** ChaCha20-Poly1305 (IETF)'s nonce length, written out: not every sodium polyfill defines the constant. */
	private const IV_BYTES = 12;

	/**
	 * A ticket and its sealed body for one chat body, as the browser sends them.
	 *
	 * @param string      $site_id The site's id on the gateway.
	 * @param string      $secret  The site's secret.
	 * @param string      $origin  The origin of the site's pages (Site_Origin), never the requester's.
	 * @param string      $body    The chat body exactly as the gateway is to read it.
	 * @param int|null    $now     Unix seconds (tests).
	 * @param string|null $nonce   The ticket's nonce (tests): 32 hex digits by default.
	 * @param string|null $iv      12 bytes (tests): random by default.
	 * @return array{ticket: string, request_body: string, expires_at: int}
	 */
	public static function issue( string $site_id, string $secret, string $origin, string $body, ?int $now = null, ?string $nonce = null, ?string $iv = null ): array {
		$issued_at = $now ?? time();
		$payload   = self::encode_payload(
			array(
				'site'   => $site_id,
				'nonce'  => $nonce ?? bin2hex( random_bytes( 16 ) ),
				'iat'    => $issued_at,
				'exp'    => $issued_at + self::LIFETIME,
				'origin' => $origin,
			)
		);
		return array(
			'ticket'       => 'v1.' . $payload . '.' . self::mac( $secret, $payload ),
			'request_body' => self::encode( array( 'sealed' => self::seal( $secret, $payload, $body, $iv ) ) ),
			'expires_at'   => $issued_at + self::LIFETIME,
		);
	}

	/**
	 * P: base64url of the payload's JSON.
	 *
	 * @param array{site: string, nonce: string, iat: int, exp: int, origin: string} $payload The payload.
	 */
	public static function encode_payload( array $payload ): string {
		return self::base64url( self::encode( $payload ) );
	}

	/** M: the MAC over P, 64 lower-case hex digits. */
	public static function mac( string $secret, string $encoded_payload ): string {
		return hash_hmac( 'sha256', self::MAC_PREFIX . $encoded_payload, $secret );
	}

	/** The 32-byte key the chat body is sealed with. */
	public static function body_key( string $secret ): string {
		return hash_hkdf( 'sha256', $secret, 32, self::BODY_KEY_INFO );
	}

	/**
	 * S: the chat body sealed for the ticket whose payload is P.
	 *
	 * @param string      $secret          The site's secret.
	 * @param string      $encoded_payload P, the associated data.
	 * @param string      $body            The chat body's exact bytes.
	 * @param string|null $iv              12 bytes; random (and so new for every ticket) by default.
	 */
	public static function seal( string $secret, string $encoded_payload, string $body, ?string $iv = null ): string {
		$iv ??= random_bytes( self::IV_BYTES );
		$sealed = sodium_crypto_aead_chacha20poly1305_ietf_encrypt( $body, $encoded_payload, $iv, self::body_key( $secret ) );
		return self::base64url( $iv . $sealed );
	}

	/** RFC 4648 §5 without padding. */
	public static function base64url( string $bytes ): string {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' );
	}

	/**
	 * JSON as the gateway reads it: slashes and non-ASCII text as they are.
	 *
	 * @param array<string, mixed> $value An object.
	 */
	private static function encode( array $value ): string {
		return (string) wp_json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}
}
