<?php
/**
 * The Abilities API (WordPress 6.9+), for MCP clients and other callers:
 * sluice/get-spend and sluice/get-policy (read only) and sluice/set-caps
 * (destructive: the site's caps; the gateway refuses anything looser than the
 * operator's with policy_too_loose). All need manage_options.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Abilities {

	public const CATEGORY = 'sluice';

	private const CAPS = array( 'day_usd', 'month_usd', 'visitor_day_usd', 'request_usd' );

	/** The gateway's limit on a cap, in USD. */
	private const MAX_CAP_USD = 1000000;

	public function __construct( private Gateway_Client $gateway ) {
	}

	public static function available(): bool {
		return function_exists( 'wp_register_ability' ) && function_exists( 'wp_register_ability_category' );
	}

	public function register(): void {
		if ( ! self::available() ) {
			return;
		}
		add_action( 'wp_abilities_api_categories_init', array( $this, 'register_category' ) );
		add_action( 'wp_abilities_api_init', array( $this, 'register_abilities' ) );
	}

	public function register_category(): void {
		wp_register_ability_category(
			self::CATEGORY,
			array(
				'label'       => __( 'Sluice spend', 'sluice' ),
				'description' => __( 'What this site spends on AI, and its spend caps.', 'sluice' ),
			)
		);
	}

	public function register_abilities(): void {
		$admin = static fn(): bool => current_user_can( 'manage_options' );
		wp_register_ability(
			'sluice/get-spend',
			array(
				'label'               => __( 'Get AI spend', 'sluice' ),
				'description'         => __( 'What this site has spent on AI today and this month against its caps (US dollars), and the last 30 days by calling plugin.', 'sluice' ),
				'category'            => self::CATEGORY,
				'output_schema'       => self::spend_schema(),
				'execute_callback'    => array( $this, 'get_spend' ),
				'permission_callback' => $admin,
				'meta'                => self::meta( true, false ),
			)
		);
		wp_register_ability(
			'sluice/get-policy',
			array(
				'label'               => __( 'Get AI spend policy', 'sluice' ),
				'description'         => __( 'The spend caps and model allowlist in force: the gateway operator\'s, the site\'s own, and the two combined.', 'sluice' ),
				'category'            => self::CATEGORY,
				'output_schema'       => self::policy_schema(),
				'execute_callback'    => array( $this, 'get_policy' ),
				'permission_callback' => $admin,
				'meta'                => self::meta( true, false ),
			)
		);
		wp_register_ability(
			'sluice/set-caps',
			array(
				'label'               => __( 'Set AI spend caps', 'sluice' ),
				'description'         => __( 'Sets the site\'s own spend caps in US dollars (null: none at the site\'s level). A cap looser than the gateway operator\'s is refused.', 'sluice' ),
				'category'            => self::CATEGORY,
				'input_schema'        => self::caps_input_schema(),
				'output_schema'       => self::policy_schema(),
				'execute_callback'    => array( $this, 'set_caps' ),
				'permission_callback' => $admin,
				'meta'                => self::meta( false, true ),
			)
		);
	}

	/** @return array<string, mixed>|WP_Error */
	public function get_spend(): array|WP_Error {
		$policy = $this->gateway->json( 'GET', '/v1/policy' );
		if ( is_wp_error( $policy ) ) {
			return $policy;
		}
		$usage = $this->gateway->json( 'GET', '/v1/usage?days=30' );
		if ( is_wp_error( $usage ) ) {
			return $usage;
		}
		$by_source = array();
		foreach ( (array) ( $usage['by_source'] ?? array() ) as $row ) {
			if ( is_array( $row ) ) {
				$by_source[] = array(
					'source'   => is_string( $row['source'] ?? null ) ? $row['source'] : null,
					'requests' => (int) ( $row['requests'] ?? 0 ),
					'cost_usd' => (float) ( $row['cost_usd'] ?? 0 ),
				);
			}
		}
		return array(
			'today'        => $policy['spend']['today'] ?? null,
			'month'        => $policy['spend']['month'] ?? null,
			'last_30_days' => array(
				'requests'  => (int) ( $usage['total']['requests'] ?? 0 ),
				'cost_usd'  => (float) ( $usage['total']['cost_usd'] ?? 0 ),
				'by_source' => $by_source,
			),
		);
	}

	/** @return array<string, mixed>|WP_Error */
	public function get_policy(): array|WP_Error {
		return self::layers( $this->gateway->json( 'GET', '/v1/policy' ) );
	}

	/**
	 * @param mixed $input The caps to set (validated against the input schema by core).
	 * @return array<string, mixed>|WP_Error
	 */
	public function set_caps( mixed $input ): array|WP_Error {
		$changes = array();
		foreach ( self::CAPS as $cap ) {
			if ( is_array( $input ) && array_key_exists( $cap, $input ) ) {
				$changes[ $cap ] = null === $input[ $cap ] ? null : (float) $input[ $cap ];
			}
		}
		if ( array() === $changes ) {
			return Error_Codes::wp_error( Error_Codes::SLUICE_INVALID_REQUEST, __( 'Name at least one cap to set.', 'sluice' ) );
		}
		$answer = self::layers( $this->gateway->json( 'PUT', '/v1/policy', $changes ) );
		if ( ! is_wp_error( $answer ) ) {
			delete_transient( Spend_Status::TRANSIENT );
			delete_transient( Ai_Spend_Guard::TRANSIENT );
		}
		return $answer;
	}

	/**
	 * @param array<string, mixed>|WP_Error $policy The gateway's policy answer.
	 * @return array<string, mixed>|WP_Error
	 */
	private static function layers( array|WP_Error $policy ): array|WP_Error {
		if ( is_wp_error( $policy ) ) {
			return $policy;
		}
		return array(
			'operator'    => $policy['operator'] ?? null,
			'site_policy' => $policy['site_policy'] ?? null,
			'effective'   => $policy['effective'] ?? null,
		);
	}

	/** @return array<string, mixed> */
	private static function meta( bool $readonly, bool $destructive ): array {
		return array(
			'annotations'  => array(
				'readonly'    => $readonly,
				'destructive' => $destructive,
			),
			'show_in_rest' => true,
		);
	}

	/** @return array<string, mixed> */
	private static function caps_input_schema(): array {
		$properties = array();
		foreach ( self::CAPS as $cap ) {
			$properties[ $cap ] = array(
				'type'        => array( 'number', 'null' ),
				'minimum'     => 0,
				'maximum'     => self::MAX_CAP_USD,
				'description' => __( 'A cap in US dollars, or null for none at the site\'s level.', 'sluice' ),
			);
		}
		return array(
			'type'                 => 'object',
			'properties'           => $properties,
			'additionalProperties' => false,
			'minProperties'        => 1,
		);
	}

	/** @return array<string, mixed> */
	private static function layer_schema(): array {
		$cap = array( 'type' => array( 'number', 'null' ) );
		return array(
			'type'       => array( 'object', 'null' ),
			'properties' => array(
				'day_usd'         => $cap,
				'month_usd'       => $cap,
				'visitor_day_usd' => $cap,
				'request_usd'     => $cap,
				'models'          => array(
					'type'  => array( 'array', 'null' ),
					'items' => array( 'type' => 'string' ),
				),
				'soft_threshold'  => $cap,
				'timezone'        => array( 'type' => array( 'string', 'null' ) ),
			),
		);
	}

	/** @return array<string, mixed> */
	private static function policy_schema(): array {
		return array(
			'type'       => 'object',
			'properties' => array(
				'operator'    => self::layer_schema(),
				'site_policy' => self::layer_schema(),
				'effective'   => self::layer_schema(),
			),
			'required'   => array( 'operator', 'site_policy', 'effective' ),
		);
	}

	/** @return array<string, mixed> */
	private static function spend_schema(): array {
		$period = array(
			'type'       => array( 'object', 'null' ),
			'properties' => array(
				'period'        => array( 'type' => 'string' ),
				'settled_usd'   => array( 'type' => 'number' ),
				'reserved_usd'  => array( 'type' => 'number' ),
				'cap_usd'       => array( 'type' => array( 'number', 'null' ) ),
				'used_fraction' => array( 'type' => array( 'number', 'null' ) ),
				'warning'       => array( 'type' => 'boolean' ),
				'resets_at'     => array( 'type' => 'string' ),
			),
		);
		return array(
			'type'       => 'object',
			'properties' => array(
				'today'        => $period,
				'month'        => $period,
				'last_30_days' => array(
					'type'       => 'object',
					'properties' => array(
						'requests'  => array( 'type' => 'integer' ),
						'cost_usd'  => array( 'type' => 'number' ),
						'by_source' => array(
							'type'  => 'array',
							'items' => array(
								'type'       => 'object',
								'properties' => array(
									'source'   => array( 'type' => array( 'string', 'null' ) ),
									'requests' => array( 'type' => 'integer' ),
									'cost_usd' => array( 'type' => 'number' ),
								),
							),
						),
					),
				),
			),
			'required'   => array( 'today', 'month', 'last_30_days' ),
		);
	}
}
