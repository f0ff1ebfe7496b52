<?php
/**
 * GET /wp-json/sluice/v1/keys — which provider keys the gateway serves this
 * site's requests with, how old each is and whether it is past the gateway's
 * rotation age (SLUICE_KEY_MAX_AGE_DAYS), for the admin screen's warning.
 * The gateway never sends a key, only its provider, scope and dates.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Keys_Route {

	public function __construct( private Gateway_Client $gateway ) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/keys',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => static fn(): bool => current_user_can( 'manage_options' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(),
			)
		);
	}

	public function handle(): WP_REST_Response|WP_Error {
		$keys = $this->gateway->json( 'GET', '/v1/keys' );
		return is_wp_error( $keys ) ? $keys : new WP_REST_Response( $keys, 200 );
	}
}
