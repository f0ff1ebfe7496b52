<?php
/**
 * GET /wp-json/sluice/v1/usage?days=30 — the gateway's spend totals for the last
 * `days` local days of the site's time zone, by day and by model, for the admin
 * screen's chart and table.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Usage_Route {

	public function __construct( private Gateway_Client $gateway ) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/usage',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => static fn(): bool => current_user_can( 'manage_options' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(
					'days' => array(
						'type'        => 'integer',
						'minimum'     => 1,
						'maximum'     => 366,
						'default'     => 30,
						'description' => __( 'How many days, today included.', 'sluice' ),
					),
				),
			)
		);
	}

	public function handle( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$usage = $this->gateway->json( 'GET', '/v1/usage?days=' . (int) $request->get_param( 'days' ) );
		return is_wp_error( $usage ) ? $usage : new WP_REST_Response( $usage, 200 );
	}
}
