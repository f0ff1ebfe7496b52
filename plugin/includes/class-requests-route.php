<?php
/**
 * GET /wp-json/sluice/v1/requests?per_page=50&before=<unix ms>&offset=0 — the site's
 * recent requests from the gateway's ledger, newest first, a page at a time.
 * `total` counts them and `as_of` is the `before` used: page n is
 * `before=as_of&offset=(n-1)*per_page`, stable while new requests arrive.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Requests_Route {

	public function __construct( private Gateway_Client $gateway ) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/requests',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => static fn(): bool => current_user_can( 'manage_options' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(
					'per_page' => array(
						'type'        => 'integer',
						'minimum'     => 1,
						'maximum'     => 500,
						'default'     => 50,
						'description' => __( 'Requests per page.', 'sluice' ),
					),
					'before'   => array(
						'type'        => 'integer',
						'minimum'     => 0,
						'description' => __( 'Only requests that started before this time (unix milliseconds): the first page\'s as_of.', 'sluice' ),
					),
					'offset'   => array(
						'type'        => 'integer',
						'minimum'     => 0,
						'maximum'     => 1000000,
						'default'     => 0,
						'description' => __( 'How many of the newest requests to skip.', 'sluice' ),
					),
				),
			)
		);
	}

	public function handle( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$query = array(
			'limit'  => (int) $request->get_param( 'per_page' ),
			'offset' => (int) $request->get_param( 'offset' ),
		);
		if ( null !== $request->get_param( 'before' ) ) {
			$query['before'] = (int) $request->get_param( 'before' );
		}
		$page = $this->gateway->json( 'GET', '/v1/requests?' . http_build_query( $query ) );
		return is_wp_error( $page ) ? $page : new WP_REST_Response( $page, 200 );
	}
}
