<?php
/**
 * POST /wp-json/sluice/v1/test-connection — signs GET /v1/models to the gateway
 * and reports what happened, for the admin screen's "Test connection" button.
 * Always a 200: the report is the answer, the gateway's status is inside it.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Test_Connection_Route {

	public function __construct( private Gateway_Client $gateway, private string $gateway_url ) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/test-connection',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'permission_callback' => static fn(): bool => current_user_can( 'manage_options' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(),
			)
		);
	}

	public function handle(): WP_REST_Response {
		$started = microtime( true );
		$answer  = $this->gateway->request( 'GET', '/v1/models', null, 10 );
		$latency = (int) round( ( microtime( true ) - $started ) * 1000 );

		if ( is_wp_error( $answer ) ) {
			if ( Error_Codes::SLUICE_UNAVAILABLE !== $answer->get_error_code() ) {
				return $this->report( false, 0, $answer->get_error_code(), $answer->get_error_message(), $latency );
			}
			$data = (array) $answer->get_error_data();
			/* translators: 1: gateway URL, 2: what curl reported. */
			$message = sprintf( __( 'Could not reach the gateway at %1$s: %2$s', 'sluice' ), $this->gateway_url, (string) ( $data['detail'] ?? '' ) );
			return $this->report( false, 0, 'unreachable', $message, $latency );
		}
		if ( ! $answer->ok() ) {
			$error = Gateway_Errors::from_gateway( $answer->status, $answer->body );
			$code  = substr( $error->get_error_code(), strlen( Error_Codes::GATEWAY_PREFIX ) );
			return $this->report( false, $answer->status, $code, $this->advice( $answer->status, $code, $error->get_error_message() ), $latency );
		}
		$list   = $answer->json();
		$models = array();
		foreach ( (array) ( $list['data'] ?? array() ) as $model ) {
			if ( is_array( $model ) && is_string( $model['id'] ?? null ) ) {
				$models[] = $model['id'];
			}
		}
		/* translators: %d: number of models. */
		$message = sprintf( _n( 'Connected: the gateway offers %d model.', 'Connected: the gateway offers %d models.', count( $models ), 'sluice' ), count( $models ) );
		return $this->report( true, $answer->status, 'ok', $message, $latency, $models );
	}

	private function advice( int $status, string $code, string $gateway_message ): string {
		if ( 401 === $status ) {
			return match ( $code ) {
				/* translators: %s: the gateway's own message. */
				Error_Codes::UNKNOWN_SITE => sprintf( __( 'The gateway does not know this site id (%s). Register it with: sluice site add <id>.', 'sluice' ), $gateway_message ),
				/* translators: %s: the gateway's own message. */
				Error_Codes::TIMESTAMP_OUT_OF_WINDOW => sprintf( __( 'The clocks of this server and the gateway disagree (%s).', 'sluice' ), $gateway_message ),
				/* translators: %s: the gateway's own message. */
				default => sprintf( __( 'The gateway refused the signature: check the site id and secret (%s).', 'sluice' ), $gateway_message ),
			};
		}
		/* translators: 1: HTTP status, 2: the gateway's own message. */
		return sprintf( __( 'The gateway answered HTTP %1$d: %2$s', 'sluice' ), $status, $gateway_message );
	}

	/** @param string[] $models Model ids. */
	private function report( bool $ok, int $status, string $code, string $message, int $latency_ms, array $models = array() ): WP_REST_Response {
		return new WP_REST_Response(
			array(
				'ok'         => $ok,
				'status'     => $status,
				'code'       => $code,
				'message'    => $message,
				'latency_ms' => $latency_ms,
				'models'     => $models,
			),
			200
		);
	}
}
