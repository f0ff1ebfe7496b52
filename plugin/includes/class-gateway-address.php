<?php
/**
 * Where a gateway URL typed in the admin screen may point. On a multisite
 * network a site's administrator is not the network's: a URL they could aim at
 * 127.0.0.1, a private network or a cloud metadata address would make this
 * server call internal services and show what they answer. So a stored URL must
 * resolve to public addresses only, checked when it is saved and again on every
 * call, with curl pinned to the addresses checked (a DNS answer that changes in
 * between cannot redirect the call). A URL from wp-config.php (SLUICE_GATEWAY_URL)
 * is the server owner's and is trusted: that is how a gateway on this server or
 * a private network is set.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Gateway_Address {

	/**
	 * Why a gateway URL may not be stored, as a sentence for the admin; null when it may.
	 * A host that does not resolve now is accepted: every call checks again.
	 */
	public static function refusal( string $url ): ?string {
		return self::refusal_for( $url, self::addresses( self::host( $url ) ) );
	}

	/**
	 * For a call to a stored URL: curl's CURLOPT_RESOLVE entries that pin its host
	 * to the public addresses it resolves to now ([] for a literal public IP), or a
	 * 502 sluice_unavailable when it resolves to an internal address or not at all.
	 *
	 * @return string[]|WP_Error
	 */
	public static function pinned( string $url ): array|WP_Error {
		$host      = self::host( $url );
		$addresses = self::addresses( $host );
		if ( array() === $addresses ) {
			/* translators: %s: a host name. */
			return Gateway_Errors::unavailable( sprintf( __( 'could not resolve the gateway\'s host %s', 'sluice' ), $host ) );
		}
		$refusal = self::refusal_for( $url, $addresses );
		if ( null !== $refusal ) {
			return Gateway_Errors::unavailable( $refusal );
		}
		if ( null !== Ip_Address::normalize( $host ) ) {
			return array();
		}
		$scheme  = wp_parse_url( $url, PHP_URL_SCHEME );
		$port    = wp_parse_url( $url, PHP_URL_PORT ) ?? ( 'https' === $scheme ? 443 : 80 );
		$targets = array_map( static fn( string $address ): string => str_contains( $address, ':' ) ? "[{$address}]" : $address, $addresses );
		return array( $host . ':' . $port . ':' . implode( ',', $targets ) );
	}

	/**
	 * The refusal of refusal(), for addresses already resolved.
	 *
	 * @param string   $url       The gateway URL.
	 * @param string[] $addresses What its host resolves to.
	 */
	private static function refusal_for( string $url, array $addresses ): ?string {
		$internal = self::first_internal( $addresses );
		if ( null === $internal ) {
			return null;
		}
		return sprintf(
			/* translators: 1: an IP address, e.g. 127.0.0.1, 2: the gateway URL. */
			__( 'The gateway URL points at a private or local address (%1$s). Only wp-config.php may set such an address: define( \'SLUICE_GATEWAY_URL\', \'%2$s\' );', 'sluice' ),
			$internal,
			$url
		);
	}

	/**
	 * Whether the URL is plain http to a host that is not this machine or a
	 * private address (judged without DNS: a host name other than localhost counts as remote).
	 */
	public static function is_plain_http_to_remote( string $url ): bool {
		return 'http' === wp_parse_url( $url, PHP_URL_SCHEME ) && ! self::is_local_host( self::host( $url ) );
	}

	/** Whether the URL's host is, without DNS, a private or local one: an internal IP, localhost. */
	public static function names_local_host( string $url ): bool {
		return self::is_local_host( self::host( $url ) );
	}

	private static function is_local_host( string $host ): bool {
		if ( null !== Ip_Address::normalize( $host ) ) {
			return Ip_Address::is_internal( $host );
		}
		return 'localhost' === $host || str_ends_with( $host, '.localhost' );
	}

	/** The URL's host, lower case, without brackets or a trailing dot. */
	private static function host( string $url ): string {
		$host = wp_parse_url( $url, PHP_URL_HOST );
		return is_string( $host ) ? rtrim( strtolower( trim( $host, '[]' ) ), '.' ) : '';
	}

	/**
	 * The addresses a host stands for: itself when it is an IP address, else
	 * what the resolver answers (IPv4 with the system's resolver, which reads
	 * /etc/hosts; IPv6 from DNS when there is no IPv4 address).
	 *
	 * @return string[]
	 */
	private static function addresses( string $host ): array {
		if ( '' === $host ) {
			return array();
		}
		$literal = Ip_Address::normalize( $host );
		if ( null !== $literal ) {
			return array( $literal );
		}
		if ( 'localhost' === $host || str_ends_with( $host, '.localhost' ) ) {
			return array( '127.0.0.1' );
		}
		$addresses = gethostbynamel( $host );
		if ( is_array( $addresses ) && array() !== $addresses ) {
			return array_values( array_unique( $addresses ) );
		}
		$records = function_exists( 'dns_get_record' ) ? @dns_get_record( $host, DNS_AAAA ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a failed lookup is an answer here.
		$ipv6    = array();
		foreach ( is_array( $records ) ? $records : array() as $record ) {
			if ( is_string( $record['ipv6'] ?? null ) ) {
				$ipv6[] = $record['ipv6'];
			}
		}
		return array_values( array_unique( $ipv6 ) );
	}

	/**
	 * The first internal address of a list, or null.
	 *
	 * @param string[] $addresses IP addresses.
	 */
	private static function first_internal( array $addresses ): ?string {
		foreach ( $addresses as $address ) {
			if ( Ip_Address::is_internal( $address ) ) {
				return $address;
			}
		}
		return null;
	}
}
