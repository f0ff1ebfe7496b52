<?php
/**
 * IP addresses as the plugin reasons about them: one canonical text form, the
 * part that identifies a visitor (an IPv4 address, an IPv6 /64), and whether an
 * address is internal (loopback, private, link-local, shared or reserved space)
 * rather than one on the public internet.
 *
 * Works on the packed form from inet_pton(), so it needs no PHP filter flags
 * that differ between PHP versions.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Ip_Address {

	/**
	 * Ranges that do not belong to a host on the public internet, as [network, prefix length].
	 * IPv6 addresses that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
	 */
	private const INTERNAL_RANGES = array(
		array( '0.0.0.0', 8 ),        // "This network".
		array( '10.0.0.0', 8 ),       // Private.
		array( '100.64.0.0', 10 ),    // Shared address space (carrier NAT, Tailscale).
		array( '127.0.0.0', 8 ),      // Loopback.
		array( '169.254.0.0', 16 ),   // Link-local, cloud metadata services.
		array( '172.16.0.0', 12 ),    // Private.
		array( '192.0.0.0', 24 ),     // IETF protocol assignments.
		array( '192.168.0.0', 16 ),   // Private.
		array( '198.18.0.0', 15 ),    // Benchmarking.
		array( '224.0.0.0', 4 ),      // Multicast.
		array( '240.0.0.0', 4 ),      // Reserved, broadcast.
		array( '::', 96 ),            // Unspecified, loopback, IPv4-compatible (deprecated).
		array( 'fc00::', 7 ),         // Unique local.
		array( 'fe80::', 10 ),        // Link-local.
		array( 'fec0::', 10 ),        // Site-local (deprecated).
		array( 'ff00::', 8 ),         // Multicast.
	);

	/**
	 * The address in canonical text form (an IPv4-mapped IPv6 address as IPv4),
	 * or null when the text is not an IP address.
	 */
	public static function normalize( string $text ): ?string {
		$packed = self::pack( $text );
		return null === $packed ? null : (string) inet_ntop( $packed );
	}

	/**
	 * What identifies one visitor: an IPv4 address, or an IPv6 address's /64
	 * (one household or server usually holds a whole /64, so the rest of the
	 * address is the visitor's to change at will). '' for text that is not an address.
	 */
	public static function visitor_key( string $text ): string {
		$packed = self::pack( $text );
		if ( null === $packed ) {
			return '';
		}
		if ( 4 === strlen( $packed ) ) {
			return (string) inet_ntop( $packed );
		}
		return (string) inet_ntop( substr( $packed, 0, 8 ) . str_repeat( "\0", 8 ) ) . '/64';
	}

	/** Whether the address is not a public internet address (true for text that is not an address). */
	public static function is_internal( string $text ): bool {
		$packed = self::pack( $text );
		if ( null === $packed ) {
			return true;
		}
		$embedded = self::embedded_ipv4( $packed );
		if ( null !== $embedded ) {
			$packed = $embedded;
		}
		foreach ( self::INTERNAL_RANGES as [ $network, $bits ] ) {
			if ( self::in_range( $packed, (string) inet_pton( $network ), $bits ) ) {
				return true;
			}
		}
		return false;
	}

	/** Whether the address is a loopback one (127.0.0.0/8, ::1). */
	public static function is_loopback( string $text ): bool {
		$packed = self::pack( $text );
		return null !== $packed
			&& ( self::in_range( $packed, (string) inet_pton( '127.0.0.0' ), 8 ) || (string) inet_pton( '::1' ) === $packed );
	}

	/** The packed address (4 or 16 bytes; an IPv4-mapped IPv6 address as its 4), or null. */
	private static function pack( string $text ): ?string {
		$text = trim( $text );
		if ( str_starts_with( $text, '[' ) && str_ends_with( $text, ']' ) ) {
			$text = substr( $text, 1, -1 );
		}
		if ( '' === $text || false === filter_var( $text, FILTER_VALIDATE_IP ) ) {
			return null;
		}
		$packed = inet_pton( $text );
		if ( false === $packed ) {
			return null;
		}
		if ( 16 === strlen( $packed ) && str_starts_with( $packed, str_repeat( "\0", 10 ) . "\xff\xff" ) ) {
			return substr( $packed, 12 );
		}
		return $packed;
	}

	/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
	private static function embedded_ipv4( string $packed ): ?string {
		if ( 16 !== strlen( $packed ) ) {
			return null;
		}
		if ( self::in_range( $packed, (string) inet_pton( '64:ff9b::' ), 96 ) ) {
			return substr( $packed, 12 );
		}
		if ( self::in_range( $packed, (string) inet_pton( '2002::' ), 16 ) ) {
			return substr( $packed, 2, 4 );
		}
		return null;
	}

	/** Whether the packed address lies in network/bits (both of the same family). */
	private static function in_range( string $packed, string $network, int $bits ): bool {
		if ( strlen( $packed ) !== strlen( $network ) ) {
			return false;
		}
		$whole = intdiv( $bits, 8 );
		if ( substr( $packed, 0, $whole ) !== substr( $network, 0, $whole ) ) {
			return false;
		}
		$rest = $bits % 8;
		if ( 0 === $rest ) {
			return true;
		}
		$mask = ( 0xff << ( 8 - $rest ) ) & 0xff;
		return ( ord( $packed[ $whole ] ) & $mask ) === ( ord( $network[ $whole ] ) & $mask );
	}
}
