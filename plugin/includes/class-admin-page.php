<?php
/**
 * Settings → Sluice: a page shell that the admin screen's script (built into
 * plugin/build/admin/) renders into. Only for users who can manage options.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Admin_Page {

	public const SLUG          = 'sluice';
	public const SCRIPT_HANDLE = 'sluice-admin';
	public const ROOT_ID       = 'sluice-admin-root';

	private string $hook_suffix = '';

	public function __construct( private string $plugin_dir, private string $plugin_file ) {
	}

	public function add_menu(): void {
		$hook = add_options_page(
			__( 'Sluice', 'sluice' ),
			__( 'Sluice', 'sluice' ),
			'manage_options',
			self::SLUG,
			array( $this, 'render' )
		);
		$this->hook_suffix = is_string( $hook ) ? $hook : '';
	}

	/**
	 * @param string[] $links Links under the plugin's name on the Plugins screen.
	 * @return string[]
	 */
	public function action_links( array $links ): array {
		if ( current_user_can( 'manage_options' ) ) {
			array_unshift(
				$links,
				sprintf( '<a href="%s">%s</a>', esc_url( admin_url( 'options-general.php?page=' . self::SLUG ) ), esc_html__( 'Settings', 'sluice' ) )
			);
		}
		return $links;
	}

	public function enqueue( string $hook_suffix ): void {
		if ( '' === $this->hook_suffix || $hook_suffix !== $this->hook_suffix || ! $this->is_built() ) {
			return;
		}
		$asset = require $this->build_dir() . '/index.asset.php';
		$deps  = is_array( $asset['dependencies'] ?? null ) ? $asset['dependencies'] : array();
		$ver   = is_string( $asset['version'] ?? null ) ? $asset['version'] : SLUICE_VERSION;

		wp_enqueue_script( self::SCRIPT_HANDLE, plugins_url( 'build/admin/index.js', $this->plugin_file ), $deps, $ver, array( 'in_footer' => true ) );
		wp_set_script_translations( self::SCRIPT_HANDLE, 'sluice', $this->plugin_dir . '/languages' );

		wp_enqueue_style( 'wp-components' );
		if ( is_readable( $this->build_dir() . '/index.css' ) ) {
			wp_enqueue_style( self::SCRIPT_HANDLE, plugins_url( 'build/admin/index.css', $this->plugin_file ), array( 'wp-components' ), $ver );
		}
	}

	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap">';
		if ( ! $this->is_built() ) {
			printf( '<h1>%s</h1>', esc_html__( 'Sluice', 'sluice' ) );
			printf(
				'<div class="notice notice-warning inline"><p>%s</p></div>',
				wp_kses(
					/* translators: %s: the command that builds the admin screen. */
					sprintf( __( 'The settings screen has not been built. In the plugin\'s source folder, run %s.', 'sluice' ), '<code>npm run build</code>' ),
					array( 'code' => array() )
				)
			);
		} else {
			printf( '<div id="%s"></div>', esc_attr( self::ROOT_ID ) );
			printf( '<noscript><p>%s</p></noscript>', esc_html__( 'The Sluice settings need JavaScript.', 'sluice' ) );
		}
		echo '</div>';
	}

	private function build_dir(): string {
		return $this->plugin_dir . '/build/admin';
	}

	private function is_built(): bool {
		return is_readable( $this->build_dir() . '/index.js' ) && is_readable( $this->build_dir() . '/index.asset.php' );
	}
}
