<?php
/**
 * Which way answers reach visitors: "relay" (the browser asks WordPress, which
 * streams the gateway's answer through a PHP worker) or "direct" (WordPress
 * issues a ticket, the browser streams from the gateway itself and the PHP
 * worker is free at once).
 *
 * Direct mode is in force when the admin set a direct streaming URL (the gateway
 * as the visitors' browsers reach it: an absolute URL, or a path on this site's
 * own origin such as /sluice-gateway where a proxy publishes it) and the admin
 * screen's "Test streaming" streamed a chat from it, from this site's origin;
 * or when wp-config.php sets SLUICE_DIRECT_URL and no test of it failed.
 * The result of that test is kept in the option sluice_direct_check, bound to
 * the URL and the origin tested: changing either goes back to relay until it
 * is tested again. Otherwise relay, which works wherever the gateway is private.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Direct_Mode {

	public const CHECK_OPTION = 'sluice_direct_check';

	/** The gateway's route for direct chats; a proxy in front strips its own prefix. */
	public const GATEWAY_ROUTE = '/v1/direct/chat';

	/** What a path on this site's origin may hold (RFC 3986 pchar and "/"). */
	private const PATH_PATTERN = '#^(/[A-Za-z0-9._~!$&\'()*+,;=:@%-]+)+$#';

	public function __construct( private Settings $settings ) {
	}

	/**
	 * A direct streaming URL as stored: '' (none), a path on this site's origin
	 * without trailing slashes ('/sluice-gateway'), or an http(s) URL without
	 * trailing slashes, query or fragment. Null when the text is none of these.
	 */
	public static function normalize_url( string $value ): ?string {
		$value = trim( $value );
		if ( '' === $value ) {
			return '';
		}
		if ( str_starts_with( $value, '/' ) && ! str_starts_with( $value, '//' ) ) {
			$path = rtrim( $value, '/' );
			return 1 === preg_match( self::PATH_PATTERN, $path ) ? $path : null;
		}
		$parts = wp_parse_url( $value );
		if ( ! is_array( $parts ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) ) {
			return null;
		}
		return Settings::normalize_url( $value );
	}

	/** The URL the browser posts direct chats to, or '' when no direct URL is set. */
	public function chat_url(): string {
		$base = $this->settings->direct_url();
		if ( '' === $base ) {
			return '';
		}
		if ( str_starts_with( $base, '/' ) ) {
			$origin = Site_Origin::current();
			return '' === $origin ? '' : $origin . $base . self::GATEWAY_ROUTE;
		}
		return $base . self::GATEWAY_ROUTE;
	}

	/**
	 * "direct" or "relay": the mode in force. A URL the admin typed takes effect
	 * once Test streaming worked with it. One set in wp-config.php
	 * (SLUICE_DIRECT_URL) was chosen at deploy time: it is in force at once, until
	 * a test of it fails (and a gateway out of reach sends the block back to
	 * relay by itself).
	 */
	public function transport(): string {
		if ( '' === $this->chat_url() ) {
			return 'relay';
		}
		if ( $this->check_applies() ) {
			return true === ( $this->check()['ok'] ?? false ) ? 'direct' : 'relay';
		}
		return $this->settings->from_constant( 'direct_url' ) ? 'direct' : 'relay';
	}

	public function in_force(): bool {
		return 'direct' === $this->transport();
	}

	/**
	 * The last test of direct streaming, or null when there was none.
	 *
	 * @return array{ok: bool, url: string, origin: string, at: int, detail: string}|null
	 */
	public function check(): ?array {
		$stored = get_option( self::CHECK_OPTION, null );
		if ( ! is_array( $stored ) || ! is_string( $stored['url'] ?? null ) || ! is_string( $stored['origin'] ?? null ) ) {
			return null;
		}
		return array(
			'ok'     => true === ( $stored['ok'] ?? false ),
			'url'    => $stored['url'],
			'origin' => $stored['origin'],
			'at'     => (int) ( $stored['at'] ?? 0 ),
			'detail' => is_string( $stored['detail'] ?? null ) ? $stored['detail'] : '',
		);
	}

	/** Whether the last test was of the URL and origin in effect now. */
	public function check_applies(): bool {
		$check  = $this->check();
		$url    = $this->chat_url();
		$origin = Site_Origin::current();
		return null !== $check && '' !== $url && '' !== $origin && $check['url'] === $url && $check['origin'] === $origin;
	}

	/**
	 * Keeps what the admin screen's test of the current direct URL found.
	 *
	 * @param bool   $ok     Whether a chat streamed from it to the admin's browser.
	 * @param string $detail Why not, in the admin's words ('' when it worked).
	 */
	public function record_check( bool $ok, string $detail ): void {
		update_option(
			self::CHECK_OPTION,
			array(
				'ok'     => $ok,
				'url'    => $this->chat_url(),
				'origin' => Site_Origin::current(),
				'at'     => time(),
				'detail' => mb_substr( $detail, 0, 500 ),
			),
			true
		);
	}

	/**
	 * What the settings route adds about the modes.
	 *
	 * @return array<string, mixed>
	 */
	public function to_public_array(): array {
		$check = $this->check();
		return array(
			'direct_url'               => $this->settings->direct_url(),
			'direct_url_from_constant' => $this->settings->from_constant( 'direct_url' ),
			'direct_chat_url'          => $this->chat_url(),
			'site_origin'              => Site_Origin::current(),
			'transport'                => $this->transport(),
			'direct_check'             => null === $check ? null : array(
				'ok'      => $check['ok'],
				'url'     => $check['url'],
				'origin'  => $check['origin'],
				'at'      => gmdate( 'c', $check['at'] ),
				'detail'  => $check['detail'],
				'current' => $this->check_applies(),
			),
		);
	}
}
