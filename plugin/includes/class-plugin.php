<?php
/**
 * Wires the plugin's parts to WordPress hooks. Nothing runs before a hook fires.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Plugin {

	public const REST_NAMESPACE = 'sluice/v1';

	public function __construct( private string $plugin_file ) {
	}

	public function register(): void {
		add_action( 'init', array( $this, 'on_init' ) );
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
		// After core's CORS headers (priority 10): streams are written once every header is set.
		add_filter( 'rest_pre_serve_request', array( new Stream_Server(), 'serve' ), 20, 3 );
		add_filter( 'rest_pre_serve_request', array( new Download_Server(), 'serve' ), 20, 3 );

		$admin_page = new Admin_Page( $this->plugin_dir(), $this->plugin_file );
		add_action( 'admin_menu', array( $admin_page, 'add_menu' ) );
		add_action( 'admin_enqueue_scripts', array( $admin_page, 'enqueue' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( $this->plugin_file ), array( $admin_page, 'action_links' ) );
		add_action( 'admin_notices', array( new Spend_Notice( new Spend_Status( new Gateway_Client( new Settings() ) ) ), 'render' ) );

		// WordPress 7.0+: the AI Client provider and meter; 6.9+: the abilities. Each checks what exists.
		( new Ai_Client() )->register();
		( new Abilities( new Gateway_Client( new Settings() ) ) )->register();
		// Kept transcripts: WordPress's privacy exporter and eraser, and the daily purge.
		( new Transcript_Privacy( new Gateway_Client( new Settings() ), new Visitor_Id() ) )->register();

		$blocks = new Block_Registrar( $this->plugin_dir() );
		add_action( 'admin_notices', array( $blocks, 'missing_build_notice' ) );
		add_action( 'init', array( $blocks, 'register' ) );
	}

	public function on_init(): void {
		load_plugin_textdomain( 'sluice', false, dirname( plugin_basename( $this->plugin_file ) ) . '/languages' );
		( new Settings() )->register();
	}

	public function register_routes(): void {
		$settings  = new Settings();
		$gateway   = new Gateway_Client( $settings );
		$direct    = new Direct_Mode( $settings );
		$admission = new Chat_Admission( $settings, $gateway, new Block_Locator(), new Rate_Limiter(), new Visitor_Id(), new Shared_Address_Check() );
		$routes    = array(
			new Chat_Route( $gateway, $admission ),
			new Ticket_Route( $settings, $direct, $admission ),
			new Models_Route( $gateway ),
			new Settings_Route( $settings, $direct, new Shared_Address_Check() ),
			new Test_Connection_Route( $gateway, $settings->gateway_url() ),
			new Stream_Probe_Route(),
			new Direct_Probe_Route( $settings, $direct, new Visitor_Id() ),
			new Policy_Route( $gateway, new Spend_Status( $gateway ) ),
			new Usage_Route( $gateway ),
			new Keys_Route( $gateway ),
			new Requests_Route( $gateway ),
			new Requests_Csv_Route( $gateway, $settings->site_id() ),
			new Transcripts_Route( $gateway ),
		);
		foreach ( $routes as $route ) {
			$route->register( self::REST_NAMESPACE );
		}
	}

	private function plugin_dir(): string {
		return dirname( $this->plugin_file );
	}
}
