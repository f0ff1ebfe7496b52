<?php
/**
 * GET /wp-json/sluice/v1/requests.csv — the gateway's CSV export of the site's
 * requests (newest first, up to 10,000), as a download with a filename. Gateway
 * refusals are JSON errors like any route's.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Requests_Csv_Route {

	public const MAX_ROWS = 10000;

	public function __construct( private Gateway_Client $gateway, private string $site_id ) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/requests\.csv',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => static fn(): bool => current_user_can( 'manage_options' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(
					'limit' => array(
						'type'        => 'integer',
						'minimum'     => 1,
						'maximum'     => self::MAX_ROWS,
						'default'     => self::MAX_ROWS,
						'description' => __( 'At most this many rows, newest first.', 'sluice' ),
					),
				),
			)
		);
	}

	public function handle( WP_REST_Request $request ): Download_Response|WP_Error {
		$path   = '/v1/requests?' . http_build_query(
			array(
				'format' => 'csv',
				'limit'  => (int) $request->get_param( 'limit' ),
			)
		);
		$answer = $this->gateway->request( 'GET', $path, null, 60, 'text/csv' );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		if ( ! $answer->ok() ) {
			return Gateway_Errors::from_gateway( $answer->status, $answer->body );
		}
		if ( ! str_starts_with( strtolower( (string) $answer->header( 'content-type' ) ), 'text/csv' ) ) {
			return Gateway_Errors::unavailable( 'the gateway answered with something other than CSV' );
		}
		$filename = sprintf( 'sluice-%s-requests-%s.csv', '' !== $this->site_id ? $this->site_id : 'site', wp_date( 'Y-m-d' ) );
		return new Download_Response( $answer->body, 'text/csv; charset=utf-8', $filename );
	}
}
