<?php
/**
 * The plugin's settings: two options, with wp-config.php constants taking precedence.
 *
 * - sluice_settings (autoloaded, small): gateway_url, site_id, streaming_mode,
 *   rate_limit_per_minute, direct_url (the gateway as visitors' browsers reach it,
 *   for direct mode: see Direct_Mode), turnstile_site_key (Cloudflare Turnstile's
 *   public site key: see Turnstile);
 * - sluice_secret (not autoloaded): the site's shared secret, sealed by Secret_Box.
 *   Its sanitize callback seals whatever is stored, so no code path can store it
 *   in plain text;
 * - sluice_turnstile_secret (not autoloaded): Turnstile's secret key, sealed the same way.
 *
 * Constants SLUICE_GATEWAY_URL, SLUICE_SITE_ID, SLUICE_SITE_SECRET, SLUICE_DIRECT_URL,
 * SLUICE_TURNSTILE_SITE_KEY and SLUICE_TURNSTILE_SECRET win over the options.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Settings {

	public const OPTION                  = 'sluice_settings';
	public const SECRET_OPTION           = 'sluice_secret';
	public const TURNSTILE_SECRET_OPTION = 'sluice_turnstile_secret';
	public const GROUP                   = 'sluice';

	public const STREAMING_MODES = array( 'auto', 'buffered', 'off' );

	public const DEFAULT_RATE_LIMIT = 10;
	public const MAX_RATE_LIMIT     = 1000;

	/** The gateway's rule for site ids. */
	public const SITE_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

	/** The gateway refuses shorter secrets. */
	public const MIN_SECRET_LENGTH = 32;

	private const CONSTANTS = array(
		'gateway_url'        => 'SLUICE_GATEWAY_URL',
		'site_id'            => 'SLUICE_SITE_ID',
		'secret'             => 'SLUICE_SITE_SECRET',
		'direct_url'         => 'SLUICE_DIRECT_URL',
		'turnstile_site_key' => 'SLUICE_TURNSTILE_SITE_KEY',
		'turnstile_secret'   => 'SLUICE_TURNSTILE_SECRET',
	);

	/** Turnstile's keys: letters, digits, "_" and "-" (e.g. 0x4AAAAAAA…), at most this long. */
	public const TURNSTILE_KEY_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

	public function __construct( private Secret_Box $secret_box = new Secret_Box() ) {
	}

	/** Registers both options once, on init. */
	public function register(): void {
		register_setting(
			self::GROUP,
			self::OPTION,
			array(
				'type'              => 'object',
				'description'       => __( 'Sluice gateway connection and chat behaviour.', 'sluice' ),
				'sanitize_callback' => array( $this, 'sanitize' ),
				'default'           => self::defaults(),
				// The admin screen uses sluice/v1/settings, which knows about the wp-config constants.
				'show_in_rest'      => false,
			)
		);
		register_setting(
			self::GROUP,
			self::SECRET_OPTION,
			array(
				'type'              => 'string',
				'description'       => __( 'Sluice site secret, encrypted at rest.', 'sluice' ),
				'sanitize_callback' => array( $this, 'sanitize_secret' ),
				'default'           => '',
				'show_in_rest'      => false,
			)
		);
		register_setting(
			self::GROUP,
			self::TURNSTILE_SECRET_OPTION,
			array(
				'type'              => 'string',
				'description'       => __( 'Cloudflare Turnstile secret key, encrypted at rest.', 'sluice' ),
				'sanitize_callback' => array( $this, 'sanitize_secret' ),
				'default'           => '',
				'show_in_rest'      => false,
			)
		);
	}

	/** @return array{gateway_url: string, site_id: string, streaming_mode: string, rate_limit_per_minute: int, direct_url: string, turnstile_site_key: string} */
	public static function defaults(): array {
		return array(
			'gateway_url'           => '',
			'site_id'               => '',
			'streaming_mode'        => 'auto',
			'rate_limit_per_minute' => self::DEFAULT_RATE_LIMIT,
			'direct_url'            => '',
			'turnstile_site_key'    => '',
		);
	}

	/**
	 * Normalises a stored settings array: unknown keys dropped, each field valid or its default.
	 *
	 * @param mixed $value What is about to be stored.
	 * @return array{gateway_url: string, site_id: string, streaming_mode: string, rate_limit_per_minute: int, direct_url: string, turnstile_site_key: string}
	 */
	public function sanitize( mixed $value ): array {
		$value    = is_array( $value ) ? $value : array();
		$defaults = self::defaults();

		$url = isset( $value['gateway_url'] ) && is_string( $value['gateway_url'] ) ? self::normalize_url( $value['gateway_url'] ) : null;
		$id  = isset( $value['site_id'] ) && is_string( $value['site_id'] ) ? strtolower( trim( $value['site_id'] ) ) : '';
		$mode = $value['streaming_mode'] ?? null;
		$rate = $value['rate_limit_per_minute'] ?? null;
		$direct = isset( $value['direct_url'] ) && is_string( $value['direct_url'] ) ? Direct_Mode::normalize_url( $value['direct_url'] ) : null;
		$turnstile_key = isset( $value['turnstile_site_key'] ) && is_string( $value['turnstile_site_key'] ) ? trim( $value['turnstile_site_key'] ) : '';

		return array(
			'gateway_url'           => $url ?? $defaults['gateway_url'],
			'site_id'               => '' === $id || preg_match( '/' . self::SITE_ID_PATTERN . '/', $id ) ? $id : $defaults['site_id'],
			'streaming_mode'        => in_array( $mode, self::STREAMING_MODES, true ) ? $mode : $defaults['streaming_mode'],
			'rate_limit_per_minute' => is_numeric( $rate ) ? max( 0, min( self::MAX_RATE_LIMIT, (int) $rate ) ) : $defaults['rate_limit_per_minute'],
			'direct_url'            => $direct ?? $defaults['direct_url'],
			'turnstile_site_key'    => self::is_turnstile_key( $turnstile_key ) ? $turnstile_key : $defaults['turnstile_site_key'],
		);
	}

	/**
	 * Seals the secret on its way into the database (an already sealed value stays as it is).
	 *
	 * @param mixed $value What is about to be stored.
	 */
	public function sanitize_secret( mixed $value ): string {
		if ( ! is_string( $value ) || '' === trim( $value ) ) {
			return '';
		}
		if ( $this->secret_box->is_sealed( $value ) ) {
			return $value;
		}
		return $this->secret_box->seal( trim( $value ) );
	}

	/** Whether the text is a Turnstile key as Cloudflare writes them. */
	public static function is_turnstile_key( string $key ): bool {
		return 1 === preg_match( '/' . self::TURNSTILE_KEY_PATTERN . '/', $key );
	}

	/** An http(s) URL without trailing slashes, or null when the text is not one ('' stays ''). */
	public static function normalize_url( string $url ): ?string {
		$url = trim( $url );
		if ( '' === $url ) {
			return '';
		}
		$scheme = wp_parse_url( $url, PHP_URL_SCHEME );
		$host   = wp_parse_url( $url, PHP_URL_HOST );
		if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || ! is_string( $host ) || '' === $host ) {
			return null;
		}
		return untrailingslashit( esc_url_raw( $url, array( 'http', 'https' ) ) );
	}

	/** @return array{gateway_url: string, site_id: string, streaming_mode: string, rate_limit_per_minute: int, direct_url: string, turnstile_site_key: string} */
	private function stored(): array {
		return $this->sanitize( get_option( self::OPTION, self::defaults() ) );
	}

	public function gateway_url(): string {
		$constant = $this->constant( 'gateway_url' );
		return null !== $constant ? ( self::normalize_url( $constant ) ?? '' ) : $this->stored()['gateway_url'];
	}

	public function site_id(): string {
		return $this->constant( 'site_id' ) ?? $this->stored()['site_id'];
	}

	/** The shared secret, or null when none is set or the stored one cannot be opened. */
	public function secret(): ?string {
		$constant = $this->constant( 'secret' );
		if ( null !== $constant ) {
			return '' === $constant ? null : $constant;
		}
		$sealed = get_option( self::SECRET_OPTION, '' );
		if ( ! is_string( $sealed ) || '' === $sealed ) {
			return null;
		}
		return $this->secret_box->open( $sealed );
	}

	/** Turnstile's site key ('' when none is set). */
	public function turnstile_site_key(): string {
		$constant = $this->constant( 'turnstile_site_key' );
		if ( null !== $constant ) {
			return self::is_turnstile_key( $constant ) ? $constant : '';
		}
		return $this->stored()['turnstile_site_key'];
	}

	/** Turnstile's secret key, or null when none is set or the stored one cannot be opened. */
	public function turnstile_secret(): ?string {
		$constant = $this->constant( 'turnstile_secret' );
		if ( null !== $constant ) {
			return '' === $constant ? null : $constant;
		}
		$sealed = get_option( self::TURNSTILE_SECRET_OPTION, '' );
		if ( ! is_string( $sealed ) || '' === $sealed ) {
			return null;
		}
		return $this->secret_box->open( $sealed );
	}

	/** Whether a secret is stored but cannot be decrypted (the salts in wp-config.php changed). */
	public function secret_unreadable(): bool {
		if ( $this->from_constant( 'secret' ) ) {
			return false;
		}
		$sealed = get_option( self::SECRET_OPTION, '' );
		return is_string( $sealed ) && '' !== $sealed && null === $this->secret_box->open( $sealed );
	}

	/** The direct streaming URL: '', a path on this site's origin, or an http(s) URL (Direct_Mode::normalize_url). */
	public function direct_url(): string {
		$constant = $this->constant( 'direct_url' );
		return null !== $constant ? ( Direct_Mode::normalize_url( $constant ) ?? '' ) : $this->stored()['direct_url'];
	}

	public function streaming_mode(): string {
		return $this->stored()['streaming_mode'];
	}

	/** Chat requests per visitor per minute; 0 means no limit. */
	public function rate_limit_per_minute(): int {
		return $this->stored()['rate_limit_per_minute'];
	}

	public function is_configured(): bool {
		return '' !== $this->gateway_url() && '' !== $this->site_id() && null !== $this->secret();
	}

	/** Whether wp-config.php defines the field (gateway_url, site_id, secret, direct_url, turnstile_site_key or turnstile_secret). */
	public function from_constant( string $field ): bool {
		return null !== $this->constant( $field );
	}

	/**
	 * What the admin screen may see: never the secret itself.
	 *
	 * @return array<string, mixed>
	 */
	public function to_public_array(): array {
		return array(
			'gateway_url'                      => $this->gateway_url(),
			'site_id'                          => $this->site_id(),
			'secret_set'                       => null !== $this->secret(),
			'secret_from_constant'             => $this->from_constant( 'secret' ),
			'gateway_url_from_constant'        => $this->from_constant( 'gateway_url' ),
			'site_id_from_constant'            => $this->from_constant( 'site_id' ),
			'streaming_mode'                   => $this->streaming_mode(),
			'rate_limit_per_minute'            => $this->rate_limit_per_minute(),
			'turnstile_site_key'               => $this->turnstile_site_key(),
			'turnstile_secret_set'             => null !== $this->turnstile_secret(),
			'turnstile_site_key_from_constant' => $this->from_constant( 'turnstile_site_key' ),
			'turnstile_secret_from_constant'   => $this->from_constant( 'turnstile_secret' ),
		);
	}

	/**
	 * Stores the given fields (others keep their value). A "secret" or "turnstile_secret"
	 * of "" removes the stored one.
	 *
	 * @param array<string, mixed> $changes Validated fields.
	 */
	public function update( array $changes ): void {
		$fields = array_intersect_key( $changes, self::defaults() );
		if ( $fields ) {
			update_option( self::OPTION, array_merge( $this->stored(), $fields ), true );
		}
		$secrets = array(
			'secret'           => self::SECRET_OPTION,
			'turnstile_secret' => self::TURNSTILE_SECRET_OPTION,
		);
		foreach ( $secrets as $field => $option ) {
			if ( ! array_key_exists( $field, $changes ) ) {
				continue;
			}
			$secret = is_string( $changes[ $field ] ) ? trim( $changes[ $field ] ) : '';
			if ( '' === $secret ) {
				delete_option( $option );
			} else {
				// Sealed here too, so the secret never reaches the database in plain text
				// even where the sanitize callback is not registered.
				update_option( $option, $this->secret_box->seal( $secret ), false );
			}
		}
	}

	private function constant( string $field ): ?string {
		$name = self::CONSTANTS[ $field ] ?? null;
		if ( null === $name || ! defined( $name ) ) {
			return null;
		}
		$value = constant( $name );
		return is_scalar( $value ) ? trim( (string) $value ) : null;
	}
}
