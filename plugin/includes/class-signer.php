<?php
/**
 * The request signature of the gateway (docs/wire-format.md, "Signing"):
 *
 *   X-Sluice-Signature: v1=hex( HMAC-SHA256( secret,
 *       METHOD \n PATH \n TIMESTAMP \n NONCE \n hex( SHA-256( raw body ) ) ) )
 *
 * PATH is the request target as the gateway receives it, query string included.
 * Pure functions: no WordPress needed.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Signer {

	public function __construct( private string $site_id, private string $secret ) {
	}

	public static function signature( string $secret, string $method, string $path, string $timestamp, string $nonce, string $body ): string {
		$canonical = implode( "\n", array( strtoupper( $method ), $path, $timestamp, $nonce, hash( 'sha256', $body ) ) );
		return 'v1=' . hash_hmac( 'sha256', $canonical, $secret );
	}

	/** A fresh nonce: 32 hex characters (the gateway accepts 16-128 of A-Za-z0-9_-). */
	public static function new_nonce(): string {
		return bin2hex( random_bytes( 16 ) );
	}

	/**
	 * The four X-Sluice-* headers for one request, as "Name: value" lines for curl.
	 *
	 * @return string[]
	 */
	public function header_lines( string $method, string $path, string $body, ?int $now = null, ?string $nonce = null ): array {
		$timestamp = (string) ( $now ?? time() );
		$nonce   ??= self::new_nonce();
		return array(
			'X-Sluice-Site: ' . $this->site_id,
			'X-Sluice-Timestamp: ' . $timestamp,
			'X-Sluice-Nonce: ' . $nonce,
			'X-Sluice-Signature: ' . self::signature( $this->secret, $method, $path, $timestamp, $nonce, $body ),
		);
	}
}
