<?php
/**
 * The Sluice card on Settings → Connectors (WordPress 7.0+) is core's card for
 * an AI Client provider with an API key, stored in the option
 * connectors_ai_sluice_api_key; for Sluice that key is the site secret. This
 * keeps it where every other path keeps it: sealed in sluice_secret (Settings).
 * The connectors option only ever holds a marker, and reads as the marker while
 * a secret is set, so the screen says "connected" and never shows the secret.
 *
 * The key may also be a whole connection, GATEWAY_URL#SITE_ID:SECRET (e.g.
 * https://gateway.example#blog:…), which sets the gateway URL and site id too,
 * checked as Settings → Sluice checks them (no internal addresses). Anything
 * else that is not a secret of 32+ characters is refused, and nothing changes.
 * Saving an empty key (the card's "Remove and replace") removes the stored
 * secret (core's own emptying of a key that did not connect does not); what wp-config.php sets (SLUICE_SITE_SECRET, SLUICE_GATEWAY_URL,
 * SLUICE_SITE_ID) is never changed here.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Connector_Secret {

	public const OPTION = 'connectors_ai_sluice_api_key';

	/** GATEWAY_URL#SITE_ID:SECRET. */
	private const CONNECTION = '/^(https?:\/\/[^\s#]+)#([a-z0-9][a-z0-9._-]{0,63}):(\S+)$/';

	/** What the connectors option holds instead of the secret. */
	public const MARKER = 'sealed-in-sluice-settings';

	public function __construct( private Settings $settings ) {
	}

	public function register(): void {
		add_filter( 'pre_update_option_' . self::OPTION, array( $this, 'store' ), 10, 2 );
		add_filter( 'option_' . self::OPTION, array( $this, 'shown' ) );
		add_filter( 'default_option_' . self::OPTION, array( $this, 'shown' ) );
	}

	/**
	 * Seals a new secret into sluice_secret; the connectors option gets the marker.
	 *
	 * @param mixed $value     What core is about to store (sanitize_text_field'ed).
	 * @param mixed $old_value What it holds now.
	 */
	public function store( mixed $value, mixed $old_value ): string {
		if ( $this->settings->from_constant( 'secret' ) ) {
			return is_string( $old_value ) ? $old_value : '';
		}
		$value = is_string( $value ) ? trim( $value ) : '';
		if ( self::MARKER === $value || str_contains( $value, "\u{2022}" ) ) {
			// The screen sent back what it was shown: nothing changes.
			return $this->shown( '' );
		}
		if ( '' === $value ) {
			// Core empties the key itself after a save when the provider is not configured
			// (no gateway URL or site id yet): that is no request to forget the secret.
			if ( doing_filter( 'rest_post_dispatch' ) ) {
				return $this->shown( '' );
			}
			delete_option( Settings::SECRET_OPTION );
			return '';
		}
		$changes = self::connection( $value );
		if ( null === $changes && preg_match( '#^https?://#i', $value ) ) {
			// Meant as a connection, but not one (a bad site id, no secret): not a secret either.
			return $this->shown( '' );
		}
		$changes ??= array( 'secret' => $value );
		if ( strlen( $changes['secret'] ) < Settings::MIN_SECRET_LENGTH ) {
			return $this->shown( '' );
		}
		foreach ( array( 'gateway_url', 'site_id' ) as $field ) {
			if ( $this->settings->from_constant( $field ) ) {
				unset( $changes[ $field ] );
			}
		}
		if ( isset( $changes['gateway_url'] ) && null !== Gateway_Address::refusal( $changes['gateway_url'] ) ) {
			return $this->shown( '' );
		}
		$this->settings->update( $changes );
		return self::MARKER;
	}

	/**
	 * The fields of a connection string, or null when the value is not one.
	 *
	 * @return array{gateway_url: string, site_id: string, secret: string}|null
	 */
	private static function connection( string $value ): ?array {
		if ( ! preg_match( self::CONNECTION, $value, $parts ) ) {
			return null;
		}
		$url = Settings::normalize_url( $parts[1] );
		if ( null === $url || '' === $url ) {
			return null;
		}
		return array(
			'gateway_url' => $url,
			'site_id'     => $parts[2],
			'secret'      => $parts[3],
		);
	}

	/**
	 * The marker while a secret is set, else ''.
	 *
	 * @param mixed $unused_value The stored value (never the secret).
	 */
	public function shown( mixed $unused_value ): string {
		return null !== $this->settings->secret() ? self::MARKER : '';
	}
}
