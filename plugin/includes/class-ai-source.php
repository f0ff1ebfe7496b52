<?php
/**
 * Which plugin (or theme) made an AI Client call, for the ledger row's `source`:
 * the first file on the call stack that belongs to neither WordPress nor Sluice.
 * "plugin:<slug>", "mu-plugin:<slug>", "theme:<slug>", else "core". The
 * filter sluice_ai_client_source may name it otherwise; whatever it returns is
 * kept to the gateway's pattern. It is shown to the site's admin, and decides nothing.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Ai_Source {

	/** The gateway's rule for a source. */
	public const PATTERN = '/^[a-z0-9][a-z0-9._:\/-]{0,99}$/';

	public static function detect(): string {
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_debug_backtrace -- which plugin called, for the ledger.
		$frames = debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS );
		$source = 'core';
		foreach ( $frames as $frame ) {
			$found = isset( $frame['file'] ) ? self::owner( wp_normalize_path( (string) $frame['file'] ) ) : null;
			if ( null !== $found ) {
				$source = $found;
				break;
			}
		}
		$filtered = apply_filters( 'sluice_ai_client_source', $source );
		return is_string( $filtered ) && preg_match( self::PATTERN, $filtered ) ? $filtered : $source;
	}

	/** The plugin or theme a file belongs to, or null for WordPress's and Sluice's own files. */
	private static function owner( string $file ): ?string {
		$own = wp_normalize_path( dirname( SLUICE_PLUGIN_FILE ) ) . '/';
		if ( str_starts_with( $file, $own ) ) {
			return null;
		}
		$places = array(
			'mu-plugin' => wp_normalize_path( WPMU_PLUGIN_DIR ) . '/',
			'plugin'    => wp_normalize_path( WP_PLUGIN_DIR ) . '/',
			'theme'     => wp_normalize_path( get_theme_root() ) . '/',
		);
		foreach ( $places as $kind => $dir ) {
			if ( str_starts_with( $file, $dir ) ) {
				$slug = strtolower( (string) strtok( substr( $file, strlen( $dir ) ), '/' ) );
				$slug = (string) preg_replace( array( '/\.php$/', '/[^a-z0-9._-]/' ), array( '', '-' ), $slug );
				$slug = ltrim( $slug, '.-_' );
				return '' === $slug ? null : substr( "{$kind}:{$slug}", 0, 100 );
			}
		}
		return null;
	}
}
