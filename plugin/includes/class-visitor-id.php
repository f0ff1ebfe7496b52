<?php
/**
 * An opaque id per visitor for rate limits here and per-visitor limits in the
 * gateway (sent as `user`): an HMAC of the visitor's IP address (an IPv6
 * address's /64) or of the user id for logged-in users, keyed with this site's
 * salt. Nothing a visitor sends (user agent, cookies) goes into it, so a script
 * cannot become a new visitor per request. The raw IP never leaves this class,
 * and the id cannot be reversed or linked across sites.
 *
 * Format: "wp." + 40 hex digits, within the gateway's 8-128 of A-Za-z0-9._:-.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Visitor_Id {

	/** Headers by which proxies and CDNs pass on the client's address, as PHP names them. */
	public const PROXY_HEADERS = array(
		'HTTP_X_FORWARDED_FOR'     => 'X-Forwarded-For',
		'HTTP_FORWARDED'           => 'Forwarded',
		'HTTP_X_REAL_IP'           => 'X-Real-IP',
		'HTTP_CF_CONNECTING_IP'    => 'CF-Connecting-IP',
		'HTTP_TRUE_CLIENT_IP'      => 'True-Client-IP',
		'HTTP_FASTLY_CLIENT_IP'    => 'Fastly-Client-IP',
		'HTTP_X_CLUSTER_CLIENT_IP' => 'X-Cluster-Client-IP',
	);

	public function current(): string {
		$user_id = get_current_user_id();
		$subject = $user_id > 0
			? 'user:' . $user_id
			: 'visitor:' . Ip_Address::visitor_key( $this->ip_address() );
		return 'wp.' . substr( hash_hmac( 'sha256', $subject, wp_salt( 'nonce' ) . 'sluice-visitor' ), 0, 40 );
	}

	public function is_anonymous(): bool {
		return get_current_user_id() <= 0;
	}

	/** Whether the address visitors are counted by is internal (loopback, private, …), as a proxy's is. */
	public function from_internal_address(): bool {
		return Ip_Address::is_internal( $this->ip_address() );
	}

	/**
	 * The proxy headers of a request that came from an internal address and that
	 * the `sluice_visitor_ip` filter left alone: a proxy or CDN this site does not
	 * account for, so every visitor behind it is counted as one.
	 *
	 * @return string[] Header names, e.g. ["X-Forwarded-For"]; [] when there is nothing to say.
	 */
	public function unused_proxy_headers(): array {
		$remote = $this->remote_addr();
		if ( null === $remote || ! Ip_Address::is_internal( $remote ) || $this->ip_address() !== $remote ) {
			return array();
		}
		$present = array();
		foreach ( self::PROXY_HEADERS as $key => $name ) {
			if ( ! empty( $_SERVER[ $key ] ) ) {
				$present[] = $name;
			}
		}
		return $present;
	}

	/**
	 * REMOTE_ADDR: forwarded-for headers can be forged by anyone. A site behind a
	 * trusted proxy or CDN returns the real client address from the
	 * `sluice_visitor_ip` filter; what the filter returns must be an IP address,
	 * else REMOTE_ADDR is used.
	 */
	private function ip_address(): string {
		$remote   = $this->remote_addr() ?? '';
		$filtered = apply_filters( 'sluice_visitor_ip', $remote );
		$address  = is_string( $filtered ) ? Ip_Address::normalize( $filtered ) : null;
		return $address ?? $remote;
	}

	private function remote_addr(): ?string {
		$remote = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		return Ip_Address::normalize( $remote );
	}
}
