<?php
/**
 * WordPress's time zone as the gateway understands it: an IANA name. A site set
 * to a bare UTC offset gets the matching Etc/GMT zone when the offset is whole
 * hours (Etc/GMT-2 is UTC+2: the sign of those names is reversed), else none.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Site_Time_Zone {

	/** The IANA name of the site's time zone, or null when it has none (a fractional offset). */
	public static function iana(): ?string {
		return self::from_setting( wp_timezone_string() );
	}

	/**
	 * @param string $setting What wp_timezone_string() returns: "Europe/Paris", "UTC" or "+02:00".
	 */
	public static function from_setting( string $setting ): ?string {
		if ( ! preg_match( '/^([+-])(\d{2}):(\d{2})$/', $setting, $offset ) ) {
			return '' === $setting ? null : $setting;
		}
		$hours = (int) $offset[2];
		if ( '00' !== $offset[3] || $hours > ( '+' === $offset[1] ? 14 : 12 ) ) {
			return null;
		}
		if ( 0 === $hours ) {
			return 'UTC';
		}
		return 'Etc/GMT' . ( '+' === $offset[1] ? '-' : '+' ) . $hours;
	}
}
