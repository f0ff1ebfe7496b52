<?php
/**
 * Encrypts the site secret at rest with a key derived from the salts in
 * wp-config.php (SECURE_AUTH_KEY and SECURE_AUTH_SALT), so a copy of the database
 * alone does not reveal it. XSalsa20-Poly1305 (sodium's secretbox; WordPress ships
 * a polyfill where the extension is missing).
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Secret_Box {

	private const PREFIX = 'sluice-sealed:v1:';

	public function is_sealed( string $value ): bool {
		return str_starts_with( $value, self::PREFIX );
	}

	public function seal( string $plain ): string {
		$nonce = random_bytes( SODIUM_CRYPTO_SECRETBOX_NONCEBYTES );
		$box   = sodium_crypto_secretbox( $plain, $nonce, $this->key() );
		return self::PREFIX . base64_encode( $nonce . $box ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- binary ciphertext.
	}

	/** The plain value, or null when the value is not sealed or was sealed with other salts. */
	public function open( string $sealed ): ?string {
		if ( ! $this->is_sealed( $sealed ) ) {
			return null;
		}
		$raw = base64_decode( substr( $sealed, strlen( self::PREFIX ) ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- binary ciphertext.
		if ( false === $raw || strlen( $raw ) <= SODIUM_CRYPTO_SECRETBOX_NONCEBYTES ) {
			return null;
		}
		try {
			$plain = sodium_crypto_secretbox_open(
				substr( $raw, SODIUM_CRYPTO_SECRETBOX_NONCEBYTES ),
				substr( $raw, 0, SODIUM_CRYPTO_SECRETBOX_NONCEBYTES ),
				$this->key()
			);
		} catch ( \SodiumException ) {
			return null;
		}
		return false === $plain ? null : $plain;
	}

	private function key(): string {
		return hash_hkdf( 'sha256', wp_salt( 'secure_auth' ), SODIUM_CRYPTO_SECRETBOX_KEYBYTES, 'sluice site secret v1' );
	}
}
