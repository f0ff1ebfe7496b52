<?php
/**
 * The site admin's kept conversations (Chat blocks with "Keep transcripts" on), relayed
 * from the gateway's signed transcript routes; all need `manage_options`:
 *
 * - GET    /wp-json/sluice/v1/transcripts?search=&per_page=20&page=1
 * - GET    /wp-json/sluice/v1/transcripts/conversations/<id>
 * - DELETE /wp-json/sluice/v1/transcripts/conversations/<id>
 * - GET    /wp-json/sluice/v1/transcripts/settings, POST {retention_days}: stored here
 *   (sluice_transcript_retention_days) and sent to the gateway, whose own timer purges by it.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Transcripts_Route {

	/** The gateway's rule for conversation ids (contract/transcripts.ts). */
	public const CONVERSATION_ID_PATTERN = '^[A-Za-z0-9_-]{8,64}$';

	public const RETENTION_OPTION  = 'sluice_transcript_retention_days';
	public const DEFAULT_RETENTION = 30;
	public const MAX_RETENTION     = 3650;

	public function __construct( private Gateway_Client $gateway ) {
	}

	/** The retention in days the admin set (default 30). */
	public static function retention_days(): int {
		$stored = (int) get_option( self::RETENTION_OPTION, self::DEFAULT_RETENTION );
		return $stored >= 1 && $stored <= self::MAX_RETENTION ? $stored : self::DEFAULT_RETENTION;
	}

	public function register( string $route_namespace ): void {
		$can_manage = static fn(): bool => current_user_can( 'manage_options' );
		register_rest_route(
			$route_namespace,
			'/transcripts',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => $can_manage,
				'callback'            => array( $this, 'list' ),
				'args'                => array(
					'search'   => array(
						'type'      => 'string',
						'maxLength' => 200,
						'default'   => '',
					),
					'per_page' => array(
						'type'    => 'integer',
						'minimum' => 1,
						'maximum' => 200,
						'default' => 20,
					),
					'page'     => array(
						'type'    => 'integer',
						'minimum' => 1,
						'maximum' => 5000,
						'default' => 1,
					),
				),
			)
		);
		register_rest_route(
			$route_namespace,
			'/transcripts/conversations/(?P<conversation_id>[A-Za-z0-9_-]{8,64})',
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'permission_callback' => $can_manage,
					'callback'            => array( $this, 'show' ),
				),
				array(
					'methods'             => WP_REST_Server::DELETABLE,
					'permission_callback' => $can_manage,
					'callback'            => array( $this, 'delete' ),
				),
			)
		);
		Admin_Route_Pair::register(
			$route_namespace,
			'/transcripts/settings',
			array( $this, 'settings' ),
			array( $this, 'update_settings' ),
			array(
				'retention_days' => array(
					'type'     => 'integer',
					'minimum'  => 1,
					'maximum'  => self::MAX_RETENTION,
					'required' => true,
				),
			)
		);
	}

	public function list( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$per_page = (int) $request['per_page'];
		$query    = array(
			'limit'  => $per_page,
			'offset' => ( (int) $request['page'] - 1 ) * $per_page,
		);
		if ( '' !== trim( (string) $request['search'] ) ) {
			$query['search'] = trim( (string) $request['search'] );
		}
		$page = $this->gateway->json( 'GET', '/v1/transcripts?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 ) );
		return is_wp_error( $page ) ? $page : new WP_REST_Response( $page, 200 );
	}

	public function show( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$conversation = $this->gateway->json( 'GET', '/v1/transcripts/conversations/' . rawurlencode( (string) $request['conversation_id'] ) );
		return is_wp_error( $conversation ) ? $conversation : new WP_REST_Response( $conversation, 200 );
	}

	public function delete( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$deleted = $this->gateway->json( 'DELETE', '/v1/transcripts/conversations/' . rawurlencode( (string) $request['conversation_id'] ) );
		return is_wp_error( $deleted ) ? $deleted : new WP_REST_Response( $deleted, 200 );
	}

	public function settings(): WP_REST_Response {
		return new WP_REST_Response( array( 'retention_days' => self::retention_days() ), 200 );
	}

	public function update_settings( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$days = (int) $request['retention_days'];
		update_option( self::RETENTION_OPTION, $days, false );
		// The gateway's own timer purges by the site's retention: it must know the new one.
		$stored = $this->gateway->json( 'PUT', '/v1/transcripts/settings', array( 'retention_days' => $days ) );
		return is_wp_error( $stored ) ? $stored : $this->settings();
	}
}
