<?php
/**
 * The Sluice card on Settings → Connectors (WordPress 7.0+) is core's card for
 * an AI Client provider with an API key, stored in the option
 * connectors_ai_sluice_api_key; for Sluice that key is the site secret. This
 * keeps it where every other path keeps it: sealed in sluice_secret (Settings).
 * The connectors option only ever holds a marker, and reads as the marker while
 * a secret is set, so the screen says "connected" and never shows the secret.
 *
 * Saving an empty key (the card's "Remove and replace") removes the stored
 * secret; a secret set in wp-config.php (SLUICE_SITE_SECRET) is never changed here.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Connector_Secret {

	public const OPTION = 'connectors_ai_sluice_api_key';

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
			delete_option( Settings::SECRET_OPTION );
			return '';
		}
		if ( strlen( $value ) < Settings::MIN_SECRET_LENGTH ) {
			return $this->shown( '' );
		}
		update_option( Settings::SECRET_OPTION, $this->settings->sanitize_secret( $value ), false );
		return self::MARKER;
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
