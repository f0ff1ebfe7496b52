<?php
/**
 * The origin of this site's pages as a browser writes it in `Origin`: scheme,
 * lower-case host, the port only when it is not the scheme's default, no path
 * (https://blog.example, http://127.0.0.1:8080). A direct-chat ticket binds it,
 * and the gateway compares it with the Origin the visitor's browser sends: it is
 * taken from home_url(), never from the request (whose Origin a script may set).
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Site_Origin {

	/** The origin of home_url(), or '' when it is not an http(s) URL. */
	public static function current(): string {
		return self::of( home_url() );
	}

	/** The origin of an http(s) URL, or '' for anything else. */
	public static function of( string $url ): string {
		$parts  = wp_parse_url( trim( $url ) );
		$scheme = strtolower( (string) ( $parts['scheme'] ?? '' ) );
		$host   = strtolower( rtrim( (string) ( $parts['host'] ?? '' ), '.' ) );
		if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || '' === $host ) {
			return '';
		}
		if ( str_contains( $host, ':' ) && ! str_starts_with( $host, '[' ) ) {
			$host = '[' . $host . ']';
		}
		$port    = isset( $parts['port'] ) ? (int) $parts['port'] : null;
		$default = 'https' === $scheme ? 443 : 80;
		return $scheme . '://' . $host . ( null === $port || $default === $port ? '' : ':' . $port );
	}
}
