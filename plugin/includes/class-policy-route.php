<?php
/**
 * GET/POST /wp-json/sluice/v1/policy — the site's spend policy on the gateway:
 * caps, model allowlist, soft threshold and time zone, with spend today and
 * this month against the caps.
 *
 * GET relays GET /v1/policy; POST sends the given fields to PUT /v1/policy
 * (the site's own layer, which may only be stricter than the operator's). Both
 * answer the gateway's object plus `wordpress_timezone`. The site's time zone
 * follows WordPress's unless the admin chose one: a `timezone` of null, or none
 * at all while the gateway has none for the site, sends WordPress's.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Policy_Route {

	private const CAPS = array( 'day_usd', 'month_usd', 'visitor_day_usd', 'request_usd' );

	/** The gateway's limit on a cap, in USD. */
	private const MAX_CAP_USD = 1000000;

	public function __construct( private Gateway_Client $gateway, private Spend_Status $spend_status ) {
	}

	public function register( string $route_namespace ): void {
		Admin_Route_Pair::register( $route_namespace, '/policy', array( $this, 'read' ), array( $this, 'update' ), self::update_args() );
	}

	/** @return array<string, array<string, mixed>> */
	private static function update_args(): array {
		$args = array();
		foreach ( self::CAPS as $cap ) {
			$args[ $cap ] = array(
				'type'        => array( 'number', 'null' ),
				'minimum'     => 0,
				'maximum'     => self::MAX_CAP_USD,
				'description' => __( 'A cap in US dollars, or null for none at the site\'s level.', 'sluice' ),
			);
		}
		$args['models']         = array(
			'type'        => array( 'array', 'null' ),
			'items'       => array(
				'type'    => 'string',
				'pattern' => '^[a-z]+/\S+$',
			),
			'maxItems'    => 500,
			'description' => __( 'Allowed models ("provider/model"), or null for no allowlist at the site\'s level.', 'sluice' ),
		);
		$args['soft_threshold'] = array(
			'type'             => array( 'number', 'null' ),
			'minimum'          => 0,
			'exclusiveMinimum' => true,
			'maximum'          => 1,
			'description'      => __( 'Share of a cap (0–1) past which admins are warned, or null for the default.', 'sluice' ),
		);
		$args['timezone']       = array(
			'type'        => array( 'string', 'null' ),
			'description' => __( 'IANA time zone of the caps\' days and months, or null for WordPress\'s.', 'sluice' ),
		);
		return $args;
	}

	public function read(): WP_REST_Response|WP_Error {
		return $this->answer( $this->gateway->json( 'GET', '/v1/policy' ) );
	}

	public function update( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$changes = array();
		foreach ( array_keys( self::update_args() ) as $field ) {
			if ( $request->has_param( $field ) ) {
				$changes[ $field ] = $request->get_param( $field );
			}
		}
		if ( array_key_exists( 'timezone', $changes ) ) {
			if ( null === $changes['timezone'] || '' === trim( (string) $changes['timezone'] ) ) {
				$changes['timezone'] = Site_Time_Zone::iana();
			}
		} else {
			$wordpress = Site_Time_Zone::iana();
			if ( null !== $wordpress ) {
				$current = $this->gateway->json( 'GET', '/v1/policy' );
				if ( is_wp_error( $current ) ) {
					return $current;
				}
				if ( null === ( $current['site_policy']['timezone'] ?? null ) ) {
					$changes['timezone'] = $wordpress;
				}
			}
		}
		if ( array() === $changes ) {
			return $this->read();
		}
		return $this->answer( $this->gateway->json( 'PUT', '/v1/policy', $changes ) );
	}

	/**
	 * @param array<string, mixed>|WP_Error $policy The gateway's answer.
	 */
	private function answer( array|WP_Error $policy ): WP_REST_Response|WP_Error {
		if ( is_wp_error( $policy ) ) {
			return $policy;
		}
		$this->spend_status->remember( $policy );
		$policy['wordpress_timezone'] = Site_Time_Zone::iana();
		return new WP_REST_Response( $policy, 200 );
	}
}
